package backendtest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/subtle"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mailwright/mailwright/imap"
)

// Memory is a reference imap.Backend that keeps users, mailboxes and
// messages in memory: the smallest complete backend, to read before
// writing one, and a ready backend for tests of IMAP clients. It keeps
// MODSEQ (so the server offers CONDSTORE) but none of the optional caches
// nor QRESYNC. It is safe for concurrent use; one mutex guards it all.
// The zero value is not usable; call NewMemory.
type Memory struct {
	mu       sync.Mutex
	users    map[string]*memUser
	validity uint32 // the last UIDVALIDITY given to a mailbox
}

type memUser struct {
	password string
	boxes    map[string]*memBox // by name; INBOX always exists
	subs     map[string]bool
}

// memBox is a mailbox shared by the sessions that have it open.
type memBox struct {
	uidValidity, uidNext uint32
	modSeq               uint64 // HIGHESTMODSEQ: raised by every change
	specialUse           string
	msgs                 []*memMsg // ascending UIDs
	keywords             map[string]bool
	sessions             map[*memMailbox]bool // told of changes (Updates)
	accessKey            []byte               // URLAUTH mailbox access key; nil until GENURLAUTH
}

// memMsg is a stored message; data never changes, flags do (under the lock).
type memMsg struct {
	uid    uint32
	modSeq uint64
	date   time.Time
	flags  []string
	data   []byte
}

func (msg *memMsg) info() imap.MessageInfo {
	return imap.MessageInfo{UID: msg.uid, ModSeq: msg.modSeq, Size: int64(len(msg.data)),
		InternalDate: msg.date, Flags: slices.Clone(msg.flags)}
}

// NewMemory returns a backend without users.
func NewMemory() *Memory { return &Memory{users: make(map[string]*memUser)} }

// AddUser creates a user with an empty INBOX, or changes the password of
// an existing one.
func (m *Memory) AddUser(name, password string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if u := m.users[name]; u != nil {
		u.password = password
		return
	}
	u := &memUser{password: password, boxes: map[string]*memBox{}, subs: map[string]bool{}}
	u.boxes["INBOX"] = m.newBoxLocked()
	m.users[name] = u
}

// Deliver appends a copy of raw to a mailbox of a user, as mail delivery
// would, and returns its UID.
func (m *Memory) Deliver(user, mailbox string, raw []byte) (uint32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[user]
	if u == nil {
		return 0, &imap.Error{Code: "NONEXISTENT", Text: "No such user"}
	}
	b := u.boxes[mailbox]
	if b == nil {
		return 0, imap.ErrTryCreate
	}
	return b.appendLocked(bytes.Clone(raw), nil, time.Now()), nil
}

func (m *Memory) newBoxLocked() *memBox {
	m.validity++
	return &memBox{uidValidity: m.validity, uidNext: 1, modSeq: 1,
		keywords: map[string]bool{}, sessions: map[*memMailbox]bool{}}
}

// Login implements imap.Backend.
func (m *Memory) Login(ctx context.Context, conn imap.ConnInfo, username, password string) (imap.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[username]
	if u == nil || subtle.ConstantTimeCompare([]byte(u.password), []byte(password)) != 1 {
		return nil, imap.ErrAuthFailed
	}
	return &memSession{m: m, u: u, name: username}, nil
}

// memSession is one logged-in user (imap.User).
type memSession struct {
	m    *Memory
	u    *memUser
	name string
}

func (s *memSession) lock() func() { s.m.mu.Lock(); return s.m.mu.Unlock }

func (s *memSession) Username() string { return s.name }
func (s *memSession) Logout() error    { return nil }

func (s *memSession) List(ctx context.Context) ([]imap.MailboxInfo, error) {
	defer s.lock()()
	var out []imap.MailboxInfo
	for _, name := range slices.Sorted(maps.Keys(s.u.boxes)) {
		out = append(out, imap.MailboxInfo{Name: name, SpecialUse: s.u.boxes[name].specialUse,
			HasChildren: len(s.u.children(name)) > 0, Subscribed: s.u.subs[name]})
	}
	return out, nil
}

// children returns the names below name.
func (u *memUser) children(name string) []string {
	var out []string
	for n := range u.boxes {
		if strings.HasPrefix(n, name+"/") {
			out = append(out, n)
		}
	}
	return out
}

func (s *memSession) Subscriptions(ctx context.Context) ([]string, error) {
	defer s.lock()()
	return slices.Sorted(maps.Keys(s.u.subs)), nil
}

func (s *memSession) Subscribe(ctx context.Context, name string) error {
	defer s.lock()()
	s.u.subs[name] = true
	return nil
}

func (s *memSession) Unsubscribe(ctx context.Context, name string) error {
	defer s.lock()()
	delete(s.u.subs, name)
	return nil
}

func (s *memSession) Create(ctx context.Context, name string, opts *imap.CreateOptions) error {
	defer s.lock()()
	if s.u.boxes[name] != nil {
		return imap.ErrAlreadyExists
	}
	s.createLocked(name)
	if opts != nil {
		s.u.boxes[name].specialUse = opts.SpecialUse
	}
	return nil
}

// createLocked creates name and its missing parents.
func (s *memSession) createLocked(name string) {
	for i := range len(name) {
		if name[i] == '/' && s.u.boxes[name[:i]] == nil {
			s.u.boxes[name[:i]] = s.m.newBoxLocked()
		}
	}
	if s.u.boxes[name] == nil {
		s.u.boxes[name] = s.m.newBoxLocked()
	}
}

func (s *memSession) Delete(ctx context.Context, name string) error {
	defer s.lock()()
	switch {
	case name == "INBOX":
		return &imap.Error{Code: "CANNOT", Text: "INBOX cannot be deleted"}
	case s.u.boxes[name] == nil:
		return imap.ErrNonexistent
	}
	delete(s.u.boxes, name) // its children stay (RFC 3501 6.3.4)
	return nil
}

func (s *memSession) Rename(ctx context.Context, from, to string) error {
	defer s.lock()()
	b := s.u.boxes[from]
	switch {
	case b == nil:
		return imap.ErrNonexistent
	case s.u.boxes[to] != nil:
		return imap.ErrAlreadyExists
	}
	if from == "INBOX" {
		// RFC 3501 6.3.5: the messages move to the new mailbox and INBOX
		// stays, empty.
		s.createLocked(to)
		nb := s.u.boxes[to]
		nb.msgs, nb.uidNext, nb.keywords = b.msgs, b.uidNext, b.keywords
		b.msgs, b.keywords = nil, map[string]bool{}
		b.changedLocked(nil)
		return nil
	}
	for _, name := range append(s.u.children(from), from) {
		s.u.boxes[to+strings.TrimPrefix(name, from)] = s.u.boxes[name]
		delete(s.u.boxes, name)
	}
	s.createLocked(to) // its missing parents
	return nil
}

func (s *memSession) Status(ctx context.Context, name string) (imap.MailboxStatus, error) {
	defer s.lock()()
	b := s.u.boxes[name]
	if b == nil {
		return imap.MailboxStatus{}, imap.ErrNonexistent
	}
	st := imap.MailboxStatus{Messages: uint32(len(b.msgs)), UIDNext: b.uidNext,
		UIDValidity: b.uidValidity, HighestModSeq: b.modSeq}
	for _, msg := range b.msgs {
		st.Size += int64(len(msg.data))
		if !slices.Contains(msg.flags, imap.FlagSeen) {
			st.Unseen++
		}
		if slices.Contains(msg.flags, imap.FlagDeleted) {
			st.Deleted++
		}
	}
	return st, nil
}

func (s *memSession) Append(ctx context.Context, name string, r io.Reader, opts *imap.AppendOptions) (imap.AppendResult, error) {
	// Read the message before taking the lock: the client may be slow
	// (and a CATENATE message reads other messages through Open).
	if opts.Size >= 0 {
		r = io.LimitReader(r, opts.Size)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return imap.AppendResult{}, err
	}
	defer s.lock()()
	b := s.u.boxes[name]
	if b == nil {
		return imap.AppendResult{}, imap.ErrTryCreate
	}
	date := opts.InternalDate
	if date.IsZero() {
		date = time.Now()
	}
	return imap.AppendResult{UIDValidity: b.uidValidity, UID: b.appendLocked(data, opts.Flags, date)}, nil
}

// appendLocked stores a message and tells the sessions.
func (b *memBox) appendLocked(data []byte, flags []string, date time.Time) uint32 {
	b.modSeq++
	msg := &memMsg{uid: b.uidNext, modSeq: b.modSeq, date: date, flags: slices.Clone(flags), data: data}
	b.uidNext++
	b.msgs = append(b.msgs, msg)
	b.addKeywords(flags)
	b.changedLocked(nil)
	return msg.uid
}

func (b *memBox) addKeywords(flags []string) {
	for _, f := range flags {
		if !strings.HasPrefix(f, `\`) {
			b.keywords[f] = true
		}
	}
}

// changedLocked wakes every session of the box but the one that made the
// change (it sees its own changes at once).
func (b *memBox) changedLocked(by *memMailbox) {
	for mb := range b.sessions {
		if mb != by {
			select {
			case mb.updates <- struct{}{}:
			default: // one pending wake-up is enough
			}
		}
	}
}

func (s *memSession) Open(ctx context.Context, name string, readOnly bool) (imap.Mailbox, error) {
	defer s.lock()()
	b := s.u.boxes[name]
	if b == nil {
		return nil, imap.ErrNonexistent
	}
	mb := &memMailbox{s: s, b: b, updates: make(chan struct{}, 1)}
	mb.snapshotLocked()
	b.sessions[mb] = true
	return mb, nil
}

// memMailbox is a selected mailbox (imap.Mailbox): the session's view, a
// copy of the box's messages as of the last Poll.
type memMailbox struct {
	s       *memSession
	b       *memBox
	view    []imap.MessageInfo
	data    [][]byte // the content of view[i], so that Open works after an expunge
	modSeq  uint64   // HIGHESTMODSEQ as of the view
	updates chan struct{}
}

func (mb *memMailbox) snapshotLocked() {
	mb.view, mb.data = nil, nil
	for _, msg := range mb.b.msgs {
		mb.view = append(mb.view, msg.info())
		mb.data = append(mb.data, msg.data)
	}
	mb.modSeq = mb.b.modSeq
}

func (mb *memMailbox) Messages() []imap.MessageInfo { return mb.view }
func (mb *memMailbox) UIDValidity() uint32          { return mb.b.uidValidity }
func (mb *memMailbox) CanCreateKeywords() bool      { return true }
func (mb *memMailbox) Updates() <-chan struct{}     { return mb.updates }

func (mb *memMailbox) UIDNext() uint32 {
	defer mb.s.lock()()
	return mb.b.uidNext
}

func (mb *memMailbox) HighestModSeq() uint64 {
	defer mb.s.lock()()
	return mb.modSeq
}

func (mb *memMailbox) Keywords() []string {
	defer mb.s.lock()()
	return slices.Sorted(maps.Keys(mb.b.keywords))
}

func (mb *memMailbox) Close() error {
	defer mb.s.lock()()
	delete(mb.b.sessions, mb)
	return nil
}

type messageReader struct{ *bytes.Reader }

func (messageReader) Close() error { return nil }

// viewIndex finds a UID in the view.
func (mb *memMailbox) viewIndex(uid uint32) (int, bool) {
	return slices.BinarySearchFunc(mb.view, uid, func(m imap.MessageInfo, uid uint32) int { return cmp.Compare(m.UID, uid) })
}

func (mb *memMailbox) Open(ctx context.Context, uid uint32) (imap.MessageReader, error) {
	i, ok := mb.viewIndex(uid)
	if !ok {
		return nil, &imap.Error{Code: "EXPUNGEISSUED", Text: "No such message"}
	}
	return messageReader{bytes.NewReader(mb.data[i])}, nil
}

// selectLocked returns the messages of the box that are in uids and in
// the view, ascending.
func (mb *memMailbox) selectLocked(uids imap.SeqSet) []*memMsg {
	var out []*memMsg
	for _, msg := range mb.b.msgs {
		if _, inView := mb.viewIndex(msg.uid); inView && uids.Contains(msg.uid, mb.b.uidNext-1) {
			out = append(out, msg)
		}
	}
	return out
}

func (mb *memMailbox) SetFlags(ctx context.Context, uids imap.SeqSet, mode imap.StoreMode, flags []string, opts *imap.StoreOptions) (imap.FlagResult, error) {
	defer mb.s.lock()()
	var res imap.FlagResult
	for _, msg := range mb.selectLocked(uids) {
		// RFC 7162 3.1.3: UNCHANGEDSINCE leaves newer messages alone.
		if opts != nil && opts.CheckUnchanged && msg.modSeq > opts.UnchangedSince {
			res.Modified = append(res.Modified, msg.uid)
			continue
		}
		old := msg.flags
		switch mode {
		case imap.StoreReplace:
			msg.flags = slices.Clone(flags)
		case imap.StoreAdd:
			msg.flags = slices.Clone(old)
			for _, f := range flags {
				if !slices.Contains(msg.flags, f) {
					msg.flags = append(msg.flags, f)
				}
			}
		case imap.StoreRemove:
			msg.flags = slices.DeleteFunc(slices.Clone(old), func(f string) bool { return slices.Contains(flags, f) })
		}
		if !sameFlags(old, msg.flags) {
			mb.ownChange(func() { mb.b.modSeq++ })
			msg.modSeq = mb.b.modSeq
			mb.b.addKeywords(msg.flags)
			mb.b.changedLocked(mb)
		}
		res.Messages = append(res.Messages, msg.info())
		mb.updateView(msg)
	}
	return res, nil
}

func sameFlags(a, b []string) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(f string) bool { return !slices.Contains(b, f) })
}

// updateView shows the session's own change in its view.
func (mb *memMailbox) updateView(msg *memMsg) {
	if i, ok := mb.viewIndex(msg.uid); ok {
		mb.view[i] = msg.info()
	}
}

// ownChange runs a change made by this session. Its view then includes
// the change, so its HIGHESTMODSEQ follows the box's, unless the view
// was behind already (the next Poll catches up).
func (mb *memMailbox) ownChange(change func()) {
	current := mb.modSeq == mb.b.modSeq
	change()
	if current {
		mb.modSeq = mb.b.modSeq
	}
}

func (mb *memMailbox) Copy(ctx context.Context, uids imap.SeqSet, dest string) (imap.CopyResult, error) {
	defer mb.s.lock()()
	return mb.copyLocked(uids, dest)
}

func (mb *memMailbox) copyLocked(uids imap.SeqSet, dest string) (imap.CopyResult, error) {
	db := mb.s.u.boxes[dest]
	if db == nil {
		return imap.CopyResult{}, imap.ErrTryCreate
	}
	res := imap.CopyResult{UIDValidity: db.uidValidity}
	msgs := mb.selectLocked(uids)
	inView := 0
	for _, m := range mb.view {
		if uids.Contains(m.UID, mb.b.uidNext-1) {
			inView++
		}
	}
	if len(msgs) < inView {
		// RFC 3501 6.4.7, all or nothing: another session expunged
		// one of them.
		return imap.CopyResult{}, imap.ErrExpungeIssued
	}
	for _, msg := range msgs {
		res.SourceUIDs = append(res.SourceUIDs, msg.uid)
		res.DestUIDs = append(res.DestUIDs, db.appendLocked(msg.data, msg.flags, msg.date))
	}
	return res, nil
}

func (mb *memMailbox) Move(ctx context.Context, uids imap.SeqSet, dest string) (imap.CopyResult, error) {
	defer mb.s.lock()()
	res, err := mb.copyLocked(uids, dest)
	if err == nil {
		mb.removeLocked(res.SourceUIDs)
	}
	return res, err
}

func (mb *memMailbox) Expunge(ctx context.Context, uids *imap.SeqSet) ([]uint32, error) {
	defer mb.s.lock()()
	var gone []uint32
	for _, msg := range mb.b.msgs {
		_, inView := mb.viewIndex(msg.uid)
		if inView && slices.Contains(msg.flags, imap.FlagDeleted) && (uids == nil || uids.Contains(msg.uid, mb.b.uidNext-1)) {
			gone = append(gone, msg.uid)
		}
	}
	mb.removeLocked(gone)
	return gone, nil
}

// removeLocked expunges uids (ascending) from the box and the view.
func (mb *memMailbox) removeLocked(uids []uint32) {
	if len(uids) == 0 {
		return
	}
	mb.ownChange(func() { mb.b.modSeq++ })
	keep := func(uid uint32) bool { _, found := slices.BinarySearch(uids, uid); return !found }
	mb.b.msgs = slices.DeleteFunc(mb.b.msgs, func(msg *memMsg) bool { return !keep(msg.uid) })
	for i := len(mb.view) - 1; i >= 0; i-- {
		if !keep(mb.view[i].UID) {
			mb.view = slices.Delete(mb.view, i, i+1)
			mb.data = slices.Delete(mb.data, i, i+1)
		}
	}
	mb.b.changedLocked(mb)
}

func (mb *memMailbox) Poll(ctx context.Context) (imap.Update, error) {
	defer mb.s.lock()()
	var u imap.Update
	var last uint32
	old := map[uint32]uint64{}
	for _, m := range mb.view {
		old[m.UID] = m.ModSeq
		last = m.UID
	}
	for _, msg := range mb.b.msgs {
		seq, known := old[msg.uid]
		switch {
		case msg.uid > last:
			u.Added = append(u.Added, msg.info())
		case known && msg.modSeq != seq:
			u.Changed = append(u.Changed, msg.info())
		}
		delete(old, msg.uid)
	}
	u.Expunged = slices.Sorted(maps.Keys(old))
	mb.snapshotLocked()
	return u, nil
}
