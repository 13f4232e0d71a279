package imap_test

import (
	"testing"
)

func TestExpungeHeldBackDuringFetch(t *testing.T) {
	_, a, b := expungedElsewhere(t)
	// RFC 3501 7.4.1: no EXPUNGE while answering FETCH, STORE or
	// SEARCH by sequence number; the flag change may be told. Message 2
	// is gone, so FETCH says NO for it, and sequence numbers stay.
	a.run(`
C: a0 FETCH 1 UID
S: * 1 FETCH (UID 1)
S: a0 OK FETCH completed
C: a1 FETCH 1:3 UID
S: * 1 FETCH (UID 1)
S: * 3 FETCH (UID 3)
S: a1 NO [EXPUNGEISSUED] Some of the requested messages no longer exist
C: a2 SEARCH ALL
S: * SEARCH 1 3
S: a2 OK [EXPUNGEISSUED] SEARCH completed
C: a3 STORE 3 +FLAGS (\Flagged)
S: * 3 FETCH (FLAGS (\Flagged \Recent))
S: a3 OK STORE completed
C: a4 NOOP
S: * 2 EXPUNGE
S: a4 OK NOOP completed
C: a5 FETCH 1:* UID
S: * 1 FETCH (UID 1)
S: * 2 FETCH (UID 3)
S: a5 OK FETCH completed`)
	// A flag change in a makes it to b at b's next command.
	b.run(`
C: b3 NOOP
S: * 2 FETCH (FLAGS (\Flagged))
S: b3 OK NOOP completed`)
}

func TestExpungeAfterUIDFetch(t *testing.T) {
	ts := startServer(t, nil)
	for range 3 {
		ts.deliver(t, "alice", "INBOX", msg1)
	}
	a := ts.selectInbox(t)
	b := ts.selectInbox(t)
	b.run(`
C: b1 STORE 1 +FLAGS.SILENT (\Deleted)
S: b1 OK STORE completed
C: b2 EXPUNGE
S: * 1 EXPUNGE
S: b2 OK EXPUNGE completed`)
	// UID FETCH may carry the EXPUNGE, after its data.
	a.run(`
C: a1 UID FETCH 2 FLAGS
S: * 2 FETCH (UID 2 FLAGS (\Recent))
S: * 1 EXPUNGE
S: a1 OK FETCH completed`)
}

func TestIdleSeesDelivery(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	a := ts.selectInbox(t)
	b := ts.selectInbox(t)
	a.run(`
C: a1 IDLE
S: + idling`)
	// Delivery through the store reaches the IDLE session at once.
	ts.deliver(t, "alice", "INBOX", msg2)
	a.run(`
S: * 2 EXISTS
S: * 2 RECENT`)
	// So do flag changes and expunges by another session.
	b.run(`
C: b1 STORE 1 +FLAGS (\Deleted)
S: * 1 FETCH (FLAGS (\Deleted))
S: * 2 EXISTS
S: * 0 RECENT
S: b1 OK STORE completed`)
	a.run(`S: * 1 FETCH (FLAGS (\Deleted \Recent))`)
	b.run(`
C: b2 EXPUNGE
S: * 1 EXPUNGE
S: b2 OK EXPUNGE completed`)
	a.run(`
S: * 1 EXPUNGE
C: DONE
S: a1 OK IDLE terminated
C: a2 FETCH 1 UID
S: * 1 FETCH (UID 2)
S: a2 OK FETCH completed`)
}

func TestIdleBadLine(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.login(t)
	c.run(`
C: a1 IDLE
S: + idling
C: NOT DONE
S: a1 BAD Expected DONE
C: a2 NOOP
S: a2 OK NOOP completed`)
}

// TestSearchSkipsMessageExpungedElsewhere: a SEARCH that must read the
// messages leaves out one that another session expunged and that this
// session has not been told of yet, and still answers OK, saying
// EXPUNGEISSUED (RFC 5530 3).
func TestSearchSkipsMessageExpungedElsewhere(t *testing.T) {
	_, a, _ := expungedElsewhere(t)
	a.run(`
C: a1 SEARCH TEXT "a"
S: * SEARCH 1 3
S: a1 OK [EXPUNGEISSUED] SEARCH completed
C: a2 NOOP
S: * 2 EXPUNGE
S: a2 OK NOOP completed`)
}
