package imap

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"
)

// urlResolver opens the messages IMAP URLs name, for one requester: an
// IMAP session (CATENATE, URLFETCH) or a submission server acting for a
// user (FetchURL). It keeps the users and mailboxes it opens until close,
// so that several URLs of one command share them.
type urlResolver struct {
	ctx     context.Context
	backend Backend
	// self is the requester's own session, which resolves URLs of its
	// own mailboxes and is never logged out here; name is its Username.
	self User
	name string
	// submit is set for a submission server acting for self (BURL, RFC
	// 4468): "submit+" access identifiers name it.
	submit bool
	// selected is the mailbox of relative URLs without one ("" if none).
	selected string
	now      func() time.Time

	users map[string]User // opened by URLUser, by the name in the URL (lower case)
	boxes []openBox
}

type openBox struct {
	user User
	name string
	mb   Mailbox
}

// urlTarget is a message a URL names, open for reading; close it.
type urlTarget struct {
	u   *imapURL
	msg *message
	rd  MessageReader
}

func (t *urlTarget) close() { t.rd.Close() }

// close releases the mailboxes and the URL users the resolver opened.
func (r *urlResolver) close() {
	for _, b := range r.boxes {
		b.mb.Close()
	}
	r.boxes = nil
	for _, u := range r.users {
		if u != nil && u != r.self {
			u.Logout()
		}
	}
	r.users = nil
}

// resolve parses a URL and opens the message it names. A URL with URLAUTH
// (always, when needAuth is set: URLFETCH, BURL) must carry a token that
// verifies and an access identifier that allows the requester (RFC 4467
// 3, 7); a URL without one (CATENATE, RFC 4469 5) names a message of the
// requester's own mailboxes. Errors that are the URL's fault wrap
// ErrBadURL (isBadURL); others come from the backend.
func (r *urlResolver) resolve(raw string, needAuth bool) (*urlTarget, error) {
	u, err := parseIMAPURL(raw)
	if err != nil {
		return nil, &Error{Code: "BADURL", Err: err}
	}
	if u.UID == 0 || u.Search != "" {
		return nil, badURL("not a message URL")
	}
	var owner User
	if u.Access != "" || needAuth {
		owner, err = r.authorize(u)
	} else {
		owner, err = r.own(u)
	}
	if err != nil {
		return nil, err
	}
	mb, err := r.message(owner, u)
	if err != nil {
		return nil, err
	}
	rd, err := mb.Open(r.ctx, u.UID)
	if err != nil {
		if errors.As(err, new(*Error)) {
			// Expunged meanwhile, or another refusal of the store.
			return nil, badURL("cannot open the message")
		}
		return nil, err
	}
	return &urlTarget{u: u, msg: newMessage(rd, rd.Size()), rd: rd}, nil
}

// message opens the mailbox a URL names (the selected one for a relative
// URL without one) and checks that it holds the URL's message.
func (r *urlResolver) message(owner User, u *imapURL) (Mailbox, error) {
	name := u.Mailbox
	if name == "" {
		name = r.selected
	}
	mb, err := r.mailbox(owner, name)
	if err != nil {
		return nil, err
	}
	if u.UIDValidity != 0 && u.UIDValidity != mb.UIDValidity() {
		return nil, badURL("UIDVALIDITY differs")
	}
	if _, found := slices.BinarySearchFunc(mb.Messages(), u.UID, func(m MessageInfo, uid uint32) int {
		return int(int64(m.UID) - int64(uid))
	}); !found {
		return nil, badURL("no such message")
	}
	return mb, nil
}

// own checks a URL without URLAUTH: it may name only the requester's own
// mailboxes.
func (r *urlResolver) own(u *imapURL) (User, error) {
	if r.self == nil {
		return nil, badURL("no user")
	}
	if u.Mailbox == "" && r.selected == "" {
		return nil, badURL("relative URL and no mailbox selected")
	}
	if u.User != "" && !r.isSelf(u.User) {
		return nil, badURL("URL of another user without URLAUTH")
	}
	return r.self, nil
}

// authorize checks a URLAUTH-authorized URL (RFC 4467 7) and returns the
// user whose mailbox it names.
func (r *urlResolver) authorize(u *imapURL) (User, error) {
	switch {
	case u.Access == "" || u.Token == "":
		return nil, badURL("no URLAUTH verifier")
	case !equalFoldASCII(u.Mechanism, urlAuthMechanism):
		return nil, badURL("unknown URLAUTH mechanism")
	case !u.Server || u.User == "" || u.Mailbox == "":
		return nil, badURL("URLAUTH URL without user or mailbox")
	case !u.Expire.IsZero() && !r.now().Before(u.Expire):
		return nil, badURL("URLAUTH URL expired")
	}
	// RFC 4467 3: who may use the URL.
	switch u.Access {
	case "authuser":
		if r.self == nil {
			return nil, badURL("authuser access needs a user")
		}
	case "user":
		if !r.isSelf(u.AccessUser) {
			return nil, badURL("user+ access of another user")
		}
	case "submit":
		if !r.submit || !r.isSelf(u.AccessUser) {
			return nil, badURL("submit+ access denied")
		}
	}
	owner, err := r.user(u.User)
	if err != nil {
		if isBadURL(err) {
			// As for a missing mailbox (RFC 4467 7): the same work,
			// so that the time taken does not tell who exists.
			verifyURLAuthToken(nil, u.Rump, u.Token)
		}
		return nil, err
	}
	var key []byte
	if ku, ok := owner.(AccessKeyUser); ok {
		key, err = ku.AccessKey(r.ctx, u.Mailbox, false)
		if err != nil && !isBadURL(err) {
			return nil, err
		}
	}
	if !verifyURLAuthToken(key, u.Rump, u.Token) {
		return nil, badURL("URLAUTH token does not verify")
	}
	return owner, nil
}

// isSelf tells whether a user name in a URL names the requester: the same
// name, or one the backend resolves to the same user.
func (r *urlResolver) isSelf(name string) bool {
	if r.self == nil {
		return false
	}
	if strings.EqualFold(name, r.name) {
		return true
	}
	u, err := r.user(name)
	return err == nil && u.Username() == r.name
}

// user returns the session of the user a URL names.
func (r *urlResolver) user(name string) (User, error) {
	if r.self != nil && strings.EqualFold(name, r.name) {
		return r.self, nil
	}
	key := strings.ToLower(name)
	if u, ok := r.users[key]; ok {
		if u == nil {
			return nil, badURL("no such user")
		}
		return u, nil
	}
	ub, ok := r.backend.(URLAuthBackend)
	if !ok {
		return nil, badURL("URLs of other users are not supported")
	}
	if r.users == nil {
		r.users = map[string]User{}
	}
	u, err := ub.URLUser(r.ctx, name)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			r.users[key] = nil
			return nil, badURL("no such user")
		}
		return nil, err
	}
	if r.self != nil && u.Username() == r.name {
		// The requester by another name: keep its own session.
		u.Logout()
		u = r.self
	}
	r.users[key] = u
	return u, nil
}

// mailbox opens a mailbox read-only (EXAMINE: URLs never change flags),
// once per resolver.
func (r *urlResolver) mailbox(owner User, name string) (Mailbox, error) {
	for _, b := range r.boxes {
		if b.user == owner && b.name == name {
			return b.mb, nil
		}
	}
	mb, err := owner.Open(r.ctx, name, true)
	if err != nil {
		if isBadURL(err) {
			return nil, badURL("no such mailbox")
		}
		return nil, err
	}
	r.boxes = append(r.boxes, openBox{user: owner, name: name, mb: mb})
	return mb, nil
}

// data returns the bytes the URL's section and partial name: as stored,
// or decoded from their transfer encoding (binary, RFC 5524).
func (t *urlTarget) data(binary bool) (io.Reader, int64, error) {
	sec := t.u.sec
	var r io.Reader
	var n int64
	var err error
	if binary && sec.Specifier == "" {
		r, n, err = t.msg.binary(sec.Part, partial{})
	} else {
		r, n, err = t.msg.section(sec)
	}
	if err != nil || !t.u.PartialSet {
		return r, n, err
	}
	// RFC 5092 6: ;PARTIAL=offset[.length], to the end without a length.
	pt := t.u.Partial
	if pt.Offset < n && (pt.Count == 0 || pt.Count > n-pt.Offset) {
		pt.Count = n - pt.Offset
	}
	if pt.Count == 0 {
		pt.Count = 1 // past the end: applyPartial gives nothing
	}
	return applyPartial(r, n, pt)
}

// structure returns the body structure of the part the URL's section
// names (the whole message without one), with BINARY sizes when binary is
// set (RFC 5524 BODYPARTSTRUCTURE).
func (t *urlTarget) structure(binary bool) (*Part, error) {
	root, err := t.msg.Structure()
	if err != nil {
		return nil, err
	}
	p := root
	if len(t.u.sec.Part) > 0 {
		if p = findPart(root, t.u.sec.Part); p == nil {
			return nil, errNoSection
		}
	}
	if binary {
		return t.msg.binaryStructure(p)
	}
	return p, nil
}

// FetchURL returns the data a URLAUTH-authorized IMAP URL names (RFC
// 4467), for a message submission server acting on behalf of user, the
// name it authenticated (BURL, RFC 4468 3): the URL's access identifier
// must allow that user ("submit+user", "user+user", "authuser" or
// "anonymous"), its token must verify under the mailbox access key, and it
// must not have expired. b must implement URLAuthBackend. The data
// streams from the store; close it when done. A URL that cannot be
// resolved gives an error that errors.Is matches with ErrBadURL; other
// errors are failures of the backend.
func FetchURL(ctx context.Context, b Backend, user, url string) (io.ReadCloser, int64, error) {
	ub, ok := b.(URLAuthBackend)
	if !ok {
		return nil, 0, badURL("the backend keeps no URLAUTH keys")
	}
	self, err := ub.URLUser(ctx, user)
	if err != nil {
		if isBadURL(err) || errors.As(err, new(*Error)) {
			return nil, 0, badURL("no such user")
		}
		return nil, 0, err
	}
	r := &urlResolver{ctx: ctx, backend: b, self: self, name: self.Username(), submit: true, now: time.Now}
	fail := func(err error) (io.ReadCloser, int64, error) {
		r.close()
		self.Logout()
		return nil, 0, err
	}
	t, err := r.resolve(url, true)
	if err != nil {
		return fail(err)
	}
	d, n, err := t.data(false)
	if err != nil {
		t.close()
		if isBadURL(err) {
			err = badURL("no such section")
		}
		return fail(err)
	}
	return &fetchedURL{Reader: d, done: func() { t.close(); r.close(); self.Logout() }}, n, nil
}

// fetchedURL is the data of a URL; Close releases the message, mailbox
// and users behind it.
type fetchedURL struct {
	io.Reader
	done func()
}

func (f *fetchedURL) Close() error {
	if f.done != nil {
		f.done()
		f.done = nil
	}
	return nil
}
