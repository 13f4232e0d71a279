package imap_test

import (
	"net"
	"testing"

	"github.com/mailwright/mailwright/imap"
)

// RFC 3501 2.3.2, 6.3.2, 6.3.10 (imaptest's "select" script): EXAMINE
// reports the recent messages without taking \Recent, so STATUS still
// counts them and the next SELECT gets them; after that SELECT, STATUS
// counts none.
func TestRecentExamineThenSelect(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.login(t)
	c.run(`
C: a1 APPEND INBOX {3+}
C: Hi.
S: a1 OK [APPENDUID {*}] APPEND completed
C: a2 APPEND INBOX {3+}
C: Ho.
S: a2 OK [APPENDUID {*}] APPEND completed
C: a3 EXAMINE INBOX
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Flags permitted
S: * 2 EXISTS
S: * 2 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
S: a3 OK [READ-ONLY] EXAMINE completed
C: a4 FETCH 1:2 FLAGS
S: * 1 FETCH (FLAGS (\Recent))
S: * 2 FETCH (FLAGS (\Recent))
S: a4 OK FETCH completed
C: a5 CLOSE
S: a5 OK CLOSE completed
C: a6 STATUS INBOX (MESSAGES RECENT)
S: * STATUS INBOX (MESSAGES 2 RECENT 2)
S: a6 OK STATUS completed
C: a7 SELECT INBOX
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * 2 EXISTS
S: * 2 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
S: a7 OK [READ-WRITE] SELECT completed
C: a8 CLOSE
S: a8 OK CLOSE completed
C: a9 STATUS INBOX (RECENT)
S: * STATUS INBOX (RECENT 0)
S: a9 OK STATUS completed`)
}

// RFC 3501 2.3.2: a message that arrives while a mailbox is examined is
// recent there, and still recent for the next read-write session; while
// selected read-write, the session that is told first takes it.
func TestRecentNewMessageExamined(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	a := ts.login(t)
	a.run(`
C: a1 EXAMINE INBOX
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Flags permitted
S: * 1 EXISTS
S: * 1 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: a1 OK [READ-ONLY] EXAMINE completed`)
	ts.deliver(t, "alice", "INBOX", msg2)
	a.run(`
C: a2 NOOP
S: * 2 EXISTS
S: * 2 RECENT
S: a2 OK NOOP completed`)
	b := ts.selectInbox(t)
	ts.deliver(t, "alice", "INBOX", msg1)
	b.run(`
C: b1 FETCH 1:* FLAGS
S: * 1 FETCH (FLAGS (\Recent))
S: * 2 FETCH (FLAGS (\Recent))
S: * 3 EXISTS
S: * 3 RECENT
S: b1 OK FETCH completed`)
	a.run(`
C: a3 NOOP
S: * 3 EXISTS
S: * 2 RECENT
S: a3 OK NOOP completed
C: a4 STATUS Trash (RECENT)
S: * STATUS Trash (RECENT 0)
S: a4 OK STATUS completed`)
}

// \Recent lives in the store: two Servers over one store (two front ends,
// or a server restarted on the same store) never both give it for the
// same message, and STATUS in one counts what the other took.
func TestRecentSharedByServersOfOneStore(t *testing.T) {
	ts := startServer(t, nil)
	other := &imap.Server{Backend: ts.srv.Backend, AllowInsecureAuth: true}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go other.Serve(l)
	t.Cleanup(func() { other.Close() })
	ts2 := &testServer{srv: other, addr: l.Addr().String(), store: ts.store}

	ts.deliver(t, "alice", "INBOX", msg1)
	a := ts.login(t)
	a.run(`
C: a1 STATUS INBOX (RECENT)
S: * STATUS INBOX (RECENT 1)
S: a1 OK STATUS completed
C: a2 SELECT INBOX
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * 1 EXISTS
S: * 1 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: a2 OK [READ-WRITE] SELECT completed`)
	b := ts2.login(t)
	b.run(`
C: b1 STATUS INBOX (RECENT)
S: * STATUS INBOX (RECENT 0)
S: b1 OK STATUS completed
C: b2 SELECT INBOX
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * 1 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: b2 OK [READ-WRITE] SELECT completed`)
}

// A backend whose mailboxes do not keep \Recent (not RecentMailbox, not
// RecentUser) gets the same behaviour from the server, in memory.
func TestRecentKeptByServer(t *testing.T) {
	ts := startServer(t, wrapUsers(func(u imap.User) imap.User { return plainUser{u} }))
	ts.deliver(t, "alice", "INBOX", msg1)
	ts.deliver(t, "alice", "INBOX", msg2)
	c := ts.login(t)
	c.run(`
C: a1 STATUS INBOX (RECENT)
S: * STATUS INBOX (RECENT 2)
S: a1 OK STATUS completed
C: a2 EXAMINE INBOX
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Flags permitted
S: * 2 EXISTS
S: * 2 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
S: a2 OK [READ-ONLY] EXAMINE completed
C: a3 SELECT INBOX
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * 2 EXISTS
S: * 2 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
S: a3 OK [READ-WRITE] SELECT completed
C: a4 UNSELECT
S: a4 OK UNSELECT completed
C: a5 STATUS INBOX (RECENT)
S: * STATUS INBOX (RECENT 0)
S: a5 OK STATUS completed`)
}
