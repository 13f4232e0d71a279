package backendtest_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/imap/backendtest"
	"github.com/mailwright/mailwright/mailbox"
)

// docUser answers APPEND, COPY and MOVE to a missing mailbox with
// TRYCREATE, word for word as the imap.User and imap.Mailbox docs say (the
// mailbox store says NONEXISTENT, which the server accepts too).
type docUser struct{ imap.User }

func asDocumented(err error) error {
	if errors.Is(err, imap.ErrNonexistent) {
		return imap.ErrTryCreate
	}
	return err
}

func (u docUser) Append(ctx context.Context, name string, r io.Reader, opts *imap.AppendOptions) (imap.AppendResult, error) {
	res, err := u.User.Append(ctx, name, r, opts)
	return res, asDocumented(err)
}

func (u docUser) Open(ctx context.Context, name string, readOnly bool) (imap.Mailbox, error) {
	mb, err := u.User.Open(ctx, name, readOnly)
	if err != nil {
		return nil, err
	}
	return docMailbox{mb}, nil
}

type docMailbox struct{ imap.Mailbox }

func (m docMailbox) Copy(ctx context.Context, uids imap.SeqSet, dest string) (imap.CopyResult, error) {
	res, err := m.Mailbox.Copy(ctx, uids, dest)
	return res, asDocumented(err)
}

func (m docMailbox) Move(ctx context.Context, uids imap.SeqSet, dest string) (imap.CopyResult, error) {
	res, err := m.Mailbox.Move(ctx, uids, dest)
	return res, asDocumented(err)
}

// A backend written to the docs passes the suite, as the store that says
// NONEXISTENT does (mailbox runs the suite in its own tests).
func TestDocumentedMissingMailboxCodes(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backendtest.Harness {
		accts := mailbox.NewMemoryAccounts()
		accts.Add("alice", "secret")
		store := mailbox.NewMemoryStore()
		t.Cleanup(func() { store.Close() })
		inner := mailbox.NewIMAPBackend(store, accts)
		return backendtest.Harness{
			Backend: imap.BackendFunc(func(ctx context.Context, conn imap.ConnInfo, user, pass string) (imap.User, error) {
				u, err := inner.Login(ctx, conn, user, pass)
				if err != nil {
					return nil, err
				}
				return docUser{u}, nil
			}),
			Username: "alice", Password: "secret",
		}
	})
}
