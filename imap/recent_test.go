package imap_test

import (
	"fmt"
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
` + selectTranscript("a3", "EXAMINE", 2, 2, 1, 3) + `
C: a4 FETCH 1:2 FLAGS
S: * 1 FETCH (FLAGS (\Recent))
S: * 2 FETCH (FLAGS (\Recent))
S: a4 OK FETCH completed
C: a5 CLOSE
S: a5 OK CLOSE completed
C: a6 STATUS INBOX (MESSAGES RECENT)
S: * STATUS INBOX (MESSAGES 2 RECENT 2)
S: a6 OK STATUS completed
` + selectTranscript("a7", "SELECT", 2, 2, 1, 3) + `
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
	a.run(selectTranscript("a1", "EXAMINE", 1, 1, 1, 2))
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
` + selectTranscript("a2", "SELECT", 1, 1, 1, 2))
	b := ts2.login(t)
	b.run(`
C: b1 STATUS INBOX (RECENT)
S: * STATUS INBOX (RECENT 0)
S: b1 OK STATUS completed
` + selectTranscript("b2", "SELECT", 1, 0, 1, 2))
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
` + selectTranscript("a2", "EXAMINE", 2, 2, 1, 3) + `
` + selectTranscript("a3", "SELECT", 2, 2, 1, 3) + `
C: a4 UNSELECT
S: a4 OK UNSELECT completed
C: a5 STATUS INBOX (RECENT)
S: * STATUS INBOX (RECENT 0)
S: a5 OK STATUS completed`)
}

// selectTranscript is an IMAP4rev1 SELECT or EXAMINE of INBOX and its
// responses (with an UNSEEN code: some message is not \Seen).
func selectTranscript(tag, cmd string, exists, recent, unseen, uidNext int) string {
	perm := `\Answered \Flagged \Deleted \Seen \Draft \*`
	mode := "READ-WRITE"
	if cmd == "EXAMINE" {
		perm, mode = "", "READ-ONLY"
	}
	return fmt.Sprintf(`C: %[1]s %[2]s INBOX
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (%[3]s)] Flags permitted
S: * %[4]d EXISTS
S: * %[5]d RECENT
S: * OK [UNSEEN %[6]d] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT %[7]d] Predicted next UID
S: %[1]s OK [%[8]s] %[2]s completed`, tag, cmd, perm, exists, recent, unseen, uidNext, mode)
}
