package imap_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/mailwright/mailwright/imap"
)

// tryCreateUser answers every missing mailbox with TRYCREATE, even where
// the Backend docs ask for NONEXISTENT: the server must still tell the
// client the code that the command calls for.
type tryCreateUser struct{ imap.User }

func tryCreate(err error) error {
	if errors.Is(err, imap.ErrNonexistent) {
		return imap.ErrTryCreate
	}
	return err
}

func (u tryCreateUser) Status(ctx context.Context, name string) (imap.MailboxStatus, error) {
	st, err := u.User.Status(ctx, name)
	return st, tryCreate(err)
}

func (u tryCreateUser) Delete(ctx context.Context, name string) error {
	return tryCreate(u.User.Delete(ctx, name))
}

func (u tryCreateUser) Append(ctx context.Context, name string, r io.Reader, opts *imap.AppendOptions) (imap.AppendResult, error) {
	res, err := u.User.Append(ctx, name, r, opts)
	return res, tryCreate(err)
}

func (u tryCreateUser) Open(ctx context.Context, name string, readOnly bool) (imap.Mailbox, error) {
	mb, err := u.User.Open(ctx, name, readOnly)
	if err != nil {
		return nil, tryCreate(err)
	}
	return tryCreateMailbox{mb}, nil
}

type tryCreateMailbox struct{ imap.Mailbox }

func (m tryCreateMailbox) Copy(ctx context.Context, uids imap.SeqSet, dest string) (imap.CopyResult, error) {
	res, err := m.Mailbox.Copy(ctx, uids, dest)
	return res, tryCreate(err)
}

func (m tryCreateMailbox) Move(ctx context.Context, uids imap.SeqSet, dest string) (imap.CopyResult, error) {
	res, err := m.Mailbox.Move(ctx, uids, dest)
	return res, tryCreate(err)
}

// RFC 3501 6.3.11 and 6.4.7 (RFC 6851 3.1 for MOVE): APPEND, COPY and MOVE
// to a mailbox that does not exist answer NO [TRYCREATE]; SELECT, STATUS
// and DELETE answer NO [NONEXISTENT] (RFC 5530 3). The server gives the
// right code whichever of the two the backend returns.
func TestMissingMailboxCodes(t *testing.T) {
	for _, tt := range []struct {
		name string
		wrap func(imap.User) imap.User
	}{
		{"backend says NONEXISTENT", func(u imap.User) imap.User { return u }},
		{"backend says TRYCREATE", func(u imap.User) imap.User { return tryCreateUser{u} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, wrapUsers(tt.wrap))
			ts.deliver(t, "alice", "INBOX", "Subject: a\r\n\r\nx\r\n")
			c := ts.login(t)
			c.run(`
C: a1 APPEND Missing {5}
S: a1 NO [TRYCREATE] {*}
C: a2 STATUS Missing (MESSAGES)
S: a2 NO [NONEXISTENT] {*}
C: a3 DELETE Missing
S: a3 NO [NONEXISTENT] {*}
C: a4 EXAMINE Missing
S: a4 NO [NONEXISTENT] {*}
C: a5 SELECT INBOX
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * 1 EXISTS
S: * 1 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: a5 OK [READ-WRITE] SELECT completed
C: a6 COPY 1 Missing
S: a6 NO [TRYCREATE] {*}
C: a7 UID MOVE 1:* Missing
S: a7 NO [TRYCREATE] {*}`)
		})
	}
}
