package mailbox

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/mailwright/mailwright/pop3"
)

// Authenticator checks a user's credentials and returns the canonical user
// name under which the user's mail is stored. It returns an error for bad
// credentials: any error but a context error, or one wrapping
// ErrUnavailable (a temporary failure), is taken as a failed login. An
// *imap.Error reaches IMAP clients as it is, and a *pop3.Error POP3
// clients, so that an Authenticator can answer with a response code of
// its own (RFC 5530 EXPIRED or CONTACTADMIN, RFC 3206 SYS/PERM).
type Authenticator interface {
	Authenticate(ctx context.Context, username, password string) (user string, err error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(ctx context.Context, username, password string) (string, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, username, password string) (string, error) {
	return f(ctx, username, password)
}

// POP3Backend serves each user's INBOX over POP3 (pop3.Backend).
type POP3Backend struct {
	Store *Store
	// Auth checks passwords (USER/PASS, AUTH PLAIN and LOGIN); when it
	// keeps SCRAM credentials (SCRAMAuthenticator, as AccountsFile does)
	// the backend offers SCRAM-SHA-256 and SCRAM-SHA-256-PLUS too (SASL).
	Auth Authenticator
	// TokenVerifier, if set, checks the tokens of AUTH OAUTHBEARER, which
	// is offered only then.
	TokenVerifier TokenVerifier
}

// NewPOP3Backend returns a pop3.Backend over the store's INBOXes.
func NewPOP3Backend(store *Store, auth Authenticator) *POP3Backend {
	return &POP3Backend{Store: store, Auth: auth}
}

var _ pop3.Backend = (*POP3Backend)(nil)

// Login authenticates the user and opens their INBOX, locked against other
// POP3 sessions (RFC 1939 section 8); a second login fails with an error
// wrapping pop3.ErrInUse.
func (b *POP3Backend) Login(ctx context.Context, conn pop3.ConnInfo, username, password string) (pop3.Maildrop, error) {
	user, err := b.Auth.Authenticate(ctx, username, password)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		var pe *pop3.Error
		if errors.As(err, &pe) {
			return nil, err
		}
		if errors.Is(err, ErrUnavailable) {
			return nil, &pop3.Error{Code: "SYS/TEMP", Err: err}
		}
		return nil, &pop3.Error{Code: "AUTH", Message: "authentication failed", Err: err}
	}
	return b.Store.OpenMaildrop(ctx, user)
}

// OpenMaildrop opens a user's INBOX as a POP3 maildrop, without
// authentication (for a backend that authenticates by other means). It
// takes the user's POP3 lock.
func (s *Store) OpenMaildrop(ctx context.Context, user string) (pop3.Maildrop, error) {
	if err := validUser(user); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.pop3Locks[user] {
		s.mu.Unlock()
		return nil, &pop3.Error{Code: "IN-USE", Message: "maildrop already locked"}
	}
	s.pop3Locks[user] = true
	s.mu.Unlock()
	f, err := s.OpenFolder(ctx, user, Inbox)
	if err != nil {
		s.unlockMaildrop(user)
		return nil, err
	}
	md := &maildrop{s: s, user: user, f: f, uidv: f.UIDValidity(), byID: map[string]uint32{}}
	for _, m := range f.Messages() {
		id := strconv.FormatUint(uint64(md.uidv), 10) + "." + strconv.FormatUint(uint64(m.UID), 10)
		md.list = append(md.list, pop3.Message{UID: id, Size: pop3Size(ctx, f, m)})
		md.byID[id] = m.UID
	}
	return md, nil
}

// pop3Size is the size RETR sends: the stored (CRLF) size, plus the CRLF
// that the server adds before the final "." when the message does not end
// with a line ending (pop3.Message.Size). Messages delivered over SMTP
// always end with one; those from IMAP APPEND or other programs may not.
func pop3Size(ctx context.Context, f *Folder, m MessageInfo) int64 {
	if m.Size == 0 {
		return 0
	}
	r, err := f.Open(ctx, m.UID)
	if err != nil {
		return m.Size // RETR will fail for it anyway
	}
	defer r.Close()
	var last [1]byte
	if n, _ := r.ReadAt(last[:], m.Size-1); n == 1 && last[0] != '\n' {
		return m.Size + 2
	}
	return m.Size
}

func (s *Store) unlockMaildrop(user string) {
	s.mu.Lock()
	delete(s.pop3Locks, user)
	s.mu.Unlock()
}

// maildrop is a POP3 session's snapshot of an INBOX. Its unique-ids are
// "<uidvalidity>.<uid>": stable across sessions and restarts, and never
// reused for another message (RFC 1939 section 7, UIDL).
type maildrop struct {
	s      *Store
	user   string
	f      *Folder
	uidv   uint32
	list   []pop3.Message
	byID   map[string]uint32
	closed bool
}

func (m *maildrop) Messages(ctx context.Context) ([]pop3.Message, error) {
	out := make([]pop3.Message, len(m.list))
	copy(out, m.list)
	return out, nil
}

func (m *maildrop) uid(id string) (uint32, error) {
	if u, ok := m.byID[id]; ok {
		return u, nil
	}
	return 0, ErrNoSuchMessage
}

func (m *maildrop) Open(ctx context.Context, id string) (io.ReadCloser, error) {
	u, err := m.uid(id)
	if err != nil {
		return nil, err
	}
	return m.f.Open(ctx, u)
}

// Delete removes the messages (RFC 1939 section 6, UPDATE state) and
// notifies IMAP sessions watching the INBOX.
func (m *maildrop) Delete(ctx context.Context, ids []string) error {
	var uids []uint32
	for _, id := range ids {
		u, err := m.uid(id)
		if err != nil {
			if strings.HasPrefix(id, strconv.FormatUint(uint64(m.uidv), 10)+".") {
				continue // already gone is fine
			}
			return err
		}
		uids = append(uids, u)
	}
	if len(uids) == 0 {
		return nil
	}
	_, err := m.f.remove(UIDSetOf(uids...), false)
	return err
}

func (m *maildrop) Close() error {
	if m.closed {
		return ErrClosed
	}
	m.closed = true
	err := m.f.Close()
	m.s.unlockMaildrop(m.user)
	return err
}
