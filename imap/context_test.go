package imap_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestSearchContextUpdate: RFC 5267 4.3, a SEARCH with RETURN (UPDATE)
// is kept up to date: another session's flag change, expunge and new
// message, and the session's own STORE, each give ADDTO or REMOVEFROM
// (after the FETCH and EXISTS, before the EXPUNGE); CANCELUPDATE ends it.
func TestSearchContextUpdate(t *testing.T) {
	ts := startServer(t, nil)
	for i := 1; i <= 4; i++ {
		flags := []string{}
		if i%2 == 0 {
			flags = append(flags, `\Seen`)
		}
		ts.deliver(t, "alice", "INBOX", sortMsg(fmt.Sprintf("From: n%d@example.org\nSubject: %d\n", i, i), i*100), flags...)
	}
	c1 := ts.selectInbox(t)
	c2 := ts.selectInbox(t)
	c1.run(`
C: a1 ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: a1 OK ENABLE completed
C: a2 SEARCH RETURN (UPDATE ALL) SEEN
S: * ESEARCH (TAG "a2") ALL 2,4
S: a2 OK SEARCH completed
C: a3 UID SEARCH RETURN (UPDATE) UNSEEN
S: * ESEARCH (TAG "a3") UID
S: a3 OK SEARCH completed
C: a2 SEARCH RETURN (UPDATE COUNT) ALL
S: a2 BAD Tag reuse`)
	c2.run(`
C: b1 STORE 1 +FLAGS.SILENT (\Seen)
S: b1 OK STORE completed`)
	c1.run(`
C: a5 NOOP
S: * 1 FETCH (UID 1 FLAGS (\Seen))
S: * ESEARCH (TAG "a2") ADDTO (0 1)
S: * ESEARCH (TAG "a3") UID REMOVEFROM (0 1)
S: a5 OK NOOP completed`)
	c2.run(`
C: b2 STORE 2 +FLAGS.SILENT (\Deleted)
S: b2 OK STORE completed
C: b3 EXPUNGE
S: * 2 EXPUNGE
S: b3 OK EXPUNGE completed`)
	c1.run(`
C: a6 NOOP
S: * ESEARCH (TAG "a2") REMOVEFROM (0 2)
S: * 2 EXPUNGE
S: a6 OK NOOP completed`)
	ts.deliver(t, "alice", "INBOX", sortMsg("From: n5@example.org\nSubject: 5\n", 500))
	ts.deliver(t, "alice", "INBOX", sortMsg("From: n6@example.org\nSubject: 6\n", 600), `\Seen`)
	c1.run(`
C: a7 NOOP
S: * 5 EXISTS
S: * ESEARCH (TAG "a2") ADDTO (0 5)
S: * ESEARCH (TAG "a3") UID ADDTO (0 5)
S: a7 OK NOOP completed
C: a8 STORE 3,5 -FLAGS (\Seen)
S: * 3 FETCH (FLAGS ())
S: * 5 FETCH (FLAGS ())
S: * ESEARCH (TAG "a2") REMOVEFROM (0 3,5)
S: * ESEARCH (TAG "a3") UID ADDTO (0 4,6)
S: a8 OK STORE completed
C: a9 CANCELUPDATE "a2" "a3"
S: a9 OK CANCELUPDATE completed
C: b1 STORE 1:* +FLAGS (\Flagged)
S: * 1 FETCH (FLAGS (\Flagged \Seen))
S: * 2 FETCH (FLAGS (\Flagged))
S: * 3 FETCH (FLAGS (\Flagged))
S: * 4 FETCH (FLAGS (\Flagged))
S: * 5 FETCH (FLAGS (\Flagged))
S: b1 OK STORE completed
C: b2 CANCELUPDATE "a2"
S: b2 BAD {*}
C: b3 CANCELUPDATE a2
S: b3 BAD {*}
# The tag may be used again once cancelled.
C: a2 SEARCH RETURN (UPDATE COUNT) FLAGGED
S: * ESEARCH (TAG "a2") COUNT 5
S: a2 OK SEARCH completed`)
	ts.selectInbox(t).run(`
C: b4 STORE 1 -FLAGS.SILENT (\Flagged)
S: b4 OK STORE completed`)
	c1.run(`
C: a10 NOOP
S: * 1 FETCH (UID 1 FLAGS (\Seen))
S: * ESEARCH (TAG "a2") REMOVEFROM (0 1)
S: a10 OK NOOP completed`)
}

// TestSearchContextUpdateFetch: RFC 5465 7, UPDATE (fetch-att) sends a
// FETCH for each new message of the result, after EXISTS and before the
// ADDTO; a flag change that brings a message in gives no such FETCH.
func TestSearchContextUpdateFetch(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	c := ts.selectInbox(t)
	c.run(`
C: a0 ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: a0 OK ENABLE completed
C: a1 UID SEARCH RETURN (COUNT UPDATE (FLAGS RFC822.SIZE)) FROM boss
S: * ESEARCH (TAG "a1") UID COUNT 0
S: a1 OK SEARCH completed`)
	ts.deliver(t, "alice", "INBOX", sortMsg("From: boss@example.org\nSubject: hi\n", 50), `\Flagged`)
	ts.deliver(t, "alice", "INBOX", sortMsg("From: other@example.org\nSubject: hi\n", 50))
	c.run(`
C: a2 NOOP
S: * 3 EXISTS
S: * 2 FETCH (UID 2 FLAGS (\Flagged) RFC822.SIZE {*})
S: * ESEARCH (TAG "a1") UID ADDTO (0 2)
S: a2 OK NOOP completed`)
}

// TestSearchContextIdle: updates reach a client in IDLE (RFC 5267 4.3.2).
func TestSearchContextIdle(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	c1 := ts.selectInbox(t)
	c2 := ts.selectInbox(t)
	c1.run(`
C: a1 SEARCH RETURN (UPDATE) FLAGGED
S: * ESEARCH (TAG "a1")
S: a1 OK SEARCH completed
C: a2 IDLE
S: + idling`)
	c2.run(`
C: b1 STORE 1 +FLAGS.SILENT (\Flagged)
S: b1 OK STORE completed`)
	c1.run(`
S: * 1 FETCH (FLAGS (\Flagged \Recent))
S: * ESEARCH (TAG "a1") ADDTO (0 1)
C: DONE
S: a2 OK IDLE terminated`)
}

// TestSortContextUpdate: RFC 5267 4.3.3 and 4.3.4 for SORT: positions in
// sort order, runs of neighbours in one pair.
func TestSortContextUpdate(t *testing.T) {
	ts := startServer(t, nil)
	// Sizes 100 300 500 700, all unseen.
	for i := 1; i <= 4; i++ {
		ts.deliver(t, "alice", "INBOX", sortMsg(fmt.Sprintf("From: n%d@example.org\n", i), i*200-100))
	}
	c1 := ts.selectInbox(t)
	c2 := ts.selectInbox(t)
	c1.run(`
C: a0 ENABLE IMAP4rev2
S: * ENABLED IMAP4rev2
S: a0 OK ENABLE completed
C: a1 SORT RETURN (UPDATE ALL) (REVERSE SIZE) UTF-8 UNSEEN
S: * ESEARCH (TAG "a1") ALL 4,3,2,1
S: a1 OK SORT completed
C: a2 UID SORT RETURN (UPDATE) (SIZE) UTF-8 UNSEEN
S: * ESEARCH (TAG "a2") UID
S: a2 OK SORT completed`)
	// Sizes 400 and 200: places 3 and 4 in REVERSE SIZE; 2 and 3 in SIZE
	// before the first is placed, then 4.
	ts.deliver(t, "alice", "INBOX", sortMsg("From: n5@example.org\n", 400))
	ts.deliver(t, "alice", "INBOX", sortMsg("From: n6@example.org\n", 200))
	c1.run(`
C: a3 NOOP
S: * 6 EXISTS
S: * ESEARCH (TAG "a1") ADDTO (3 5 5 6)
S: * ESEARCH (TAG "a2") UID ADDTO (3 5 2 6)
S: a3 OK NOOP completed`)
	// Now REVERSE SIZE is 4 3 5 2 6 1 and SIZE 1 6 2 5 3 4: seeing 2, 3
	// and 5 removes a run from each.
	c2.run(`
C: b0 NOOP
S: * 6 EXISTS
S: * 0 RECENT
S: b0 OK NOOP completed
C: b1 STORE 2:3,5 +FLAGS.SILENT (\Seen)
S: b1 OK STORE completed`)
	c1.run(`
C: a4 NOOP
S: * 2 FETCH (UID 2 FLAGS (\Seen))
S: * 3 FETCH (UID 3 FLAGS (\Seen))
S: * 5 FETCH (UID 5 FLAGS (\Seen))
S: * ESEARCH (TAG "a1") REMOVEFROM (2 3,5,2)
S: * ESEARCH (TAG "a2") UID REMOVEFROM (3 2,5,3)
S: a4 OK NOOP completed`)
}

// TestContextLimit: RFC 5267 4.3.1, past the limit of updating searches
// the answer is NO [NOUPDATE] and the search is answered all the same.
func TestContextLimit(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	c := ts.selectInbox(t)
	var b strings.Builder
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(&b, "C: t%d SEARCH RETURN (UPDATE) ALL\nS: * ESEARCH (TAG \"t%d\")\nS: t%d OK SEARCH completed\n", i, i, i)
	}
	c.run(b.String())
	c.run(`
C: t9 SEARCH RETURN (UPDATE COUNT) ALL
S: * ESEARCH (TAG "t9") COUNT 1
S: * NO [NOUPDATE "t9"] {*}
S: t9 OK SEARCH completed
C: u1 CANCELUPDATE "t1"
S: u1 OK CANCELUPDATE completed
C: t9 SEARCH RETURN (UPDATE COUNT) ALL
S: * ESEARCH (TAG "t9") COUNT 1
S: t9 OK SEARCH completed
# The contexts end with the selection.
C: u2 UNSELECT
S: u2 OK UNSELECT completed`)
	c.send("u3 SELECT INBOX")
	for l := c.readLine(); !strings.HasPrefix(l, "u3 "); l = c.readLine() {
	}
	c.run(`
C: u4 CANCELUPDATE "t2"
S: u4 BAD {*}`)
}
