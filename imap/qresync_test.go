package imap_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
)

// uidValidity asks STATUS for INBOX's UIDVALIDITY.
func (c *client) uidValidity() string {
	c.t.Helper()
	c.send("UV STATUS INBOX (UIDVALIDITY)")
	line := c.readLine()
	m := regexp.MustCompile(`^\* STATUS INBOX \(UIDVALIDITY (\d+)\)$`).FindStringSubmatch(line)
	if m == nil {
		c.t.Fatalf("STATUS: %q", line)
	}
	c.expect("UV OK STATUS completed")
	return m[1]
}

// qresyncFixture: five messages (UIDs 1-5, MODSEQ 1-5) of which another
// session, without QRESYNC, expunges 2 and 4 (\Deleted at 6, expunge at
// 7) and flags 1 (8).
func qresyncFixture(t *testing.T, ts *testServer) {
	t.Helper()
	for range 5 {
		ts.deliver(t, "alice", "INBOX", msg1)
	}
	b := ts.selectInbox(t)
	b.run(`
C: b1 STORE 2,4 +FLAGS.SILENT (\Deleted)
S: b1 OK STORE completed
C: b2 EXPUNGE
S: * 4 EXPUNGE
S: * 2 EXPUNGE
S: b2 OK EXPUNGE completed
C: b3 STORE 1 +FLAGS.SILENT (\Flagged)
S: b3 OK STORE completed
C: b4 LOGOUT
S: * BYE Logging out
S: b4 OK LOGOUT completed`)
}

// TestQResyncSelect: RFC 7162 3.2.5. A client that last saw the
// mailbox at MODSEQ 5 learns with one SELECT what vanished (2 and 4) and
// what changed (1 flagged, MODSEQ 8); known-uids and the sequence match
// data narrow the answer.
func TestQResyncSelect(t *testing.T) {
	ts := startServer(t, nil)
	qresyncFixture(t, ts)
	c := ts.login(t)
	uv := c.uidValidity()
	c.run(`
C: a1 SELECT INBOX (QRESYNC (` + uv + ` 5))
S: a1 BAD QRESYNC is not enabled
C: a2 ENABLE QRESYNC
S: * ENABLED QRESYNC
S: a2 OK ENABLE completed
C: a3 SELECT INBOX (QRESYNC (` + uv + ` 5))
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY ` + uv + `] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: * OK [HIGHESTMODSEQ 8] Highest
S: * VANISHED (EARLIER) 2,4
S: * 1 FETCH (UID 1 FLAGS (\Flagged) MODSEQ (8))
S: a3 OK [READ-WRITE] SELECT completed
# known-uids: only 1:3 is known, so 4 is not mentioned. RFC 7162
# 3.2.11: [CLOSED] ends the previous mailbox's responses.
C: a4 EXAMINE INBOX (QRESYNC (` + uv + ` 5 1:3))
S: * OK [CLOSED] Previous mailbox closed
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY ` + uv + `] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: * OK [HIGHESTMODSEQ 8] Highest
S: * VANISHED (EARLIER) 2
S: * 1 FETCH (UID 1 FLAGS (\Flagged) MODSEQ (8))
S: a4 OK [READ-ONLY] EXAMINE completed
# Up to date at MODSEQ 8: nothing vanished, nothing changed.
C: a5 EXAMINE INBOX (QRESYNC (` + uv + ` 8 1:5))
S: * OK [CLOSED] Previous mailbox closed
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY ` + uv + `] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: * OK [HIGHESTMODSEQ 8] Highest
S: a5 OK [READ-ONLY] EXAMINE completed
# Sequence match data: the client's message 2 is still UID 3 here, so
# nothing at or below UID 3 vanished from what it knows; only 4 is told.
C: a6 EXAMINE INBOX (QRESYNC (` + uv + ` 5 1:5 (2 3)))
S: * OK [CLOSED] Previous mailbox closed
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY ` + uv + `] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: * OK [HIGHESTMODSEQ 8] Highest
S: * VANISHED (EARLIER) 4
S: * 1 FETCH (UID 1 FLAGS (\Flagged) MODSEQ (8))
S: a6 OK [READ-ONLY] EXAMINE completed
# A sequence match that no longer holds (message 2 was UID 2) narrows
# nothing.
C: a7 EXAMINE INBOX (QRESYNC (` + uv + ` 5 1:5 (1:2 1:2)))
S: * OK [CLOSED] Previous mailbox closed
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY ` + uv + `] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: * OK [HIGHESTMODSEQ 8] Highest
S: * VANISHED (EARLIER) 2,4
S: * 1 FETCH (UID 1 FLAGS (\Flagged) MODSEQ (8))
S: a7 OK [READ-ONLY] EXAMINE completed
# Another UIDVALIDITY: the cache is void, no resynchronization data.
C: a8 EXAMINE INBOX (QRESYNC (1 5))
S: * OK [CLOSED] Previous mailbox closed
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY ` + uv + `] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: * OK [HIGHESTMODSEQ 8] Highest
S: a8 OK [READ-ONLY] EXAMINE completed`)
}

// TestQResyncFetchVanished: RFC 7162 3.2.6, UID FETCH ...
// (CHANGEDSINCE n VANISHED), and its error cases.
func TestQResyncFetchVanished(t *testing.T) {
	ts := startServer(t, nil)
	qresyncFixture(t, ts)
	c := ts.selectInbox(t)
	c.run(`
C: a1 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 5 VANISHED)
S: a1 BAD QRESYNC is not enabled
C: a2 ENABLE QRESYNC
S: * OK [HIGHESTMODSEQ 8] Highest
S: * ENABLED QRESYNC
S: a2 OK ENABLE completed
C: a3 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 5 VANISHED)
S: * VANISHED (EARLIER) 2,4
S: * 1 FETCH (UID 1 FLAGS (\Flagged) MODSEQ (8))
S: a3 OK FETCH completed
# Only the UIDs asked about.
C: a4 UID FETCH 3:5 (FLAGS) (CHANGEDSINCE 5 VANISHED)
S: * VANISHED (EARLIER) 4
S: a4 OK FETCH completed
C: a5 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 7 VANISHED)
S: * 1 FETCH (UID 1 FLAGS (\Flagged) MODSEQ (8))
S: a5 OK FETCH completed
C: a6 UID FETCH 1:* (FLAGS) (VANISHED)
S: a6 BAD {*}
C: a7 FETCH 1:* (FLAGS) (CHANGEDSINCE 5 VANISHED)
S: a7 BAD {*}
C: a8 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 5)
S: * 1 FETCH (UID 1 FLAGS (\Flagged) MODSEQ (8))
S: a8 OK FETCH completed`)
}

// TestQResyncVanishedResponses: once QRESYNC is enabled, expunges are
// told with VANISHED (RFC 7162 3.2.10): the session's own
// EXPUNGE (with the new HIGHESTMODSEQ), MOVE, and expunges by another
// session, seen at NOOP and during IDLE.
func TestQResyncVanishedResponses(t *testing.T) {
	ts := startServer(t, nil)
	for range 6 {
		ts.deliver(t, "alice", "INBOX", msg1)
	}
	a := ts.login(t)
	a.run(`
C: a1 ENABLE QRESYNC
S: * ENABLED QRESYNC
S: a1 OK ENABLE completed
C: a2 SELECT INBOX
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: * 6 EXISTS
S: * 6 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT 7] Predicted next UID
S: * OK [HIGHESTMODSEQ 6] Highest
S: a2 OK [READ-WRITE] SELECT completed
C: a3 STORE 1:2 +FLAGS.SILENT (\Deleted)
S: * 1 FETCH (UID 1 MODSEQ (7))
S: * 2 FETCH (UID 2 MODSEQ (7))
S: a3 OK STORE completed
C: s1 SEARCH RETURN (SAVE) 2:3
S: s1 OK SEARCH completed
C: a4 EXPUNGE
S: * VANISHED 1:2
S: a4 OK [HIGHESTMODSEQ 8] EXPUNGE completed
# RFC 5182 2.1: the expunged UID 2 left the saved result.
C: s2 UID FETCH $ (FLAGS)
S: * 1 FETCH (UID 3 FLAGS (\Recent))
S: s2 OK FETCH completed
C: a5 MOVE 1 Trash
S: * OK [COPYUID {*} 3 1] Moved
S: * VANISHED 3
S: a5 OK MOVE completed`)
	b := ts.selectInbox(t)
	b.run(`
C: b1 STORE 1 +FLAGS.SILENT (\Deleted)
S: b1 OK STORE completed`)
	a.run(`
C: a6 NOOP
S: * 1 FETCH (UID 4 FLAGS (\Deleted \Recent) MODSEQ (10))
S: a6 OK NOOP completed
C: a7 IDLE
S: + idling`)
	b.run(`
C: b2 EXPUNGE
S: * 1 EXPUNGE
S: b2 OK EXPUNGE completed`)
	a.run(`
S: * VANISHED 4
C: DONE
S: a7 OK IDLE terminated`)
	b.run(`
C: b3 UID STORE 6 +FLAGS.SILENT (\Deleted)
S: b3 OK STORE completed
C: b4 UID EXPUNGE 6
S: * 2 EXPUNGE
S: b4 OK EXPUNGE completed`)
	// A FETCH by sequence number holds the expunge back (RFC 7162
	// 3.2.10 keeps the EXPUNGE rules), and HIGHESTMODSEQ says
	// where the client's cache is complete: 11, below the expunge (13)
	// and the flag change (12) (RFC 7162 3.2). The NOOP after
	// tells the expunge.
	a.run(`
C: a8 FETCH 1 (UID)
S: * 1 FETCH (UID 5)
S: * OK [HIGHESTMODSEQ 11] Expunges pending
S: a8 OK FETCH completed
C: a9 NOOP
S: * VANISHED 6
S: a9 OK NOOP completed`)
}

// TestQResyncMaildirRestart: the expunge log survives a restart of the
// Maildir store.
func TestQResyncMaildirRestart(t *testing.T) {
	dir := t.TempDir()
	store, err := mailbox.NewMaildirStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	ts := startServerStore(t, store, nil)
	qresyncFixture(t, ts)
	ts.srv.Close()
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	store2, err := mailbox.NewMaildirStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store2.Close() })
	ts2 := startServerStore(t, store2, nil)
	c := ts2.login(t)
	uv := c.uidValidity()
	c.run(`
C: a1 ENABLE QRESYNC
S: * ENABLED QRESYNC
S: a1 OK ENABLE completed
C: a2 EXAMINE INBOX (QRESYNC (` + uv + ` 5))
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY ` + uv + `] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: * OK [HIGHESTMODSEQ 8] Highest
S: * VANISHED (EARLIER) 2,4
S: * 1 FETCH (UID 1 FLAGS (\Flagged) MODSEQ (8))
S: a2 OK [READ-ONLY] EXAMINE completed
# The log is exact, not conservative: at MODSEQ 7 the expunges are known.
C: a3 EXAMINE INBOX (QRESYNC (` + uv + ` 7))
S: * OK [CLOSED] Previous mailbox closed
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY ` + uv + `] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: * OK [HIGHESTMODSEQ 8] Highest
S: * 1 FETCH (UID 1 FLAGS (\Flagged) MODSEQ (8))
S: a3 OK [READ-ONLY] EXAMINE completed`)
}

// forgetfulUser wraps a User so that its mailboxes do not implement
// imap.VanishedReporter, while it still claims QRESYNC: the server must
// then answer conservatively (RFC 7162 3.2.5.2).
type forgetfulUser struct{ imap.User }

func (u forgetfulUser) QResync() bool { return true }

type forgetfulMailbox struct{ imap.Mailbox }

func (u forgetfulUser) Open(ctx context.Context, name string, readOnly bool) (imap.Mailbox, error) {
	mb, err := u.User.Open(ctx, name, readOnly)
	if err != nil {
		return nil, err
	}
	return forgetfulMailbox{mb}, nil
}

// TestQResyncConservative: without an expunge log, VANISHED (EARLIER)
// lists every UID below UIDNEXT that is not in the mailbox; the sequence
// match data then narrows it.
func TestQResyncConservative(t *testing.T) {
	ts := startServer(t, wrapUsers(func(u imap.User) imap.User { return forgetfulUser{u} }))
	qresyncFixture(t, ts)
	c := ts.login(t)
	uv := c.uidValidity()
	c.run(`
C: a1 ENABLE QRESYNC
S: * ENABLED QRESYNC
S: a1 OK ENABLE completed
# Up to date, yet told (harmlessly) of every UID not here.
C: a2 EXAMINE INBOX (QRESYNC (` + uv + ` 8))
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY ` + uv + `] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: * OK [HIGHESTMODSEQ 8] Highest
S: * VANISHED (EARLIER) 2,4
S: a2 OK [READ-ONLY] EXAMINE completed
C: a3 EXAMINE INBOX (QRESYNC (` + uv + ` 8 1:5 (1:2 1,3)))
S: * OK [CLOSED] Previous mailbox closed
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY ` + uv + `] UIDs valid
S: * OK [UIDNEXT 6] Predicted next UID
S: * OK [HIGHESTMODSEQ 8] Highest
S: * VANISHED (EARLIER) 4
S: a3 OK [READ-ONLY] EXAMINE completed`)
}

// TestQResyncNotOffered: a User that does not implement imap.QResyncUser
// gets no QRESYNC: not advertised, not enabled, SELECT (QRESYNC) is BAD.
func TestQResyncNotOffered(t *testing.T) {
	ts := startServer(t, wrapUsers(func(u imap.User) imap.User { return plainUser{u} }))
	ts.deliver(t, "alice", "INBOX", msg1)
	c := ts.login(t)
	c.send("a1 CAPABILITY")
	if line := c.readLine(); !strings.Contains(line, " CONDSTORE ") || strings.Contains(line, "QRESYNC") {
		t.Fatalf("CAPABILITY: %q", line)
	}
	c.run(`
S: a1 OK CAPABILITY completed
C: a2 ENABLE QRESYNC CONDSTORE
S: * ENABLED CONDSTORE
S: a2 OK ENABLE completed
C: a3 SELECT INBOX (QRESYNC (1 1))
S: a3 BAD QRESYNC is not enabled`)
}
