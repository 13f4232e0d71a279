package backendtest

import (
	"bytes"
	"context"
	"crypto/rand"

	"github.com/mailwright/mailwright/imap"
)

var (
	_ imap.URLAuthBackend = (*Memory)(nil)
	_ imap.AccessKeyUser  = (*memSession)(nil)
)

// URLUser implements imap.URLAuthBackend: the session of a user, by the
// name an IMAP URL gives, without a password.
func (m *Memory) URLUser(ctx context.Context, name string) (imap.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[name]
	if u == nil {
		return nil, &imap.Error{Code: "NONEXISTENT", Text: "No such user"}
	}
	return &memSession{m: m, u: u, name: name}, nil
}

// AccessKey implements imap.AccessKeyUser: the key lives with the mailbox,
// so RENAME keeps it and DELETE drops it.
func (s *memSession) AccessKey(ctx context.Context, mailbox string, create bool) ([]byte, error) {
	defer s.lock()()
	b := s.u.boxes[mailbox]
	if b == nil {
		return nil, imap.ErrNonexistent
	}
	if b.accessKey == nil && create {
		b.accessKey = make([]byte, 32)
		rand.Read(b.accessKey)
	}
	return bytes.Clone(b.accessKey), nil
}

// ResetAccessKeys implements imap.AccessKeyUser.
func (s *memSession) ResetAccessKeys(ctx context.Context, mailbox string) error {
	defer s.lock()()
	if mailbox == "" {
		for _, b := range s.u.boxes {
			b.accessKey = nil
		}
		return nil
	}
	b := s.u.boxes[mailbox]
	if b == nil {
		return imap.ErrNonexistent
	}
	b.accessKey = nil
	return nil
}
