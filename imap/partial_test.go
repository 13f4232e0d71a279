package imap_test

import (
	"fmt"
	"testing"
)

// partialFixture selects an INBOX of five messages, UIDs 2 to 6 (the
// first one delivered is expunged), message n being n*100 bytes long.
func partialFixture(t *testing.T) *client {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1, `\Deleted`)
	for i := 1; i <= 5; i++ {
		ts.deliver(t, "alice", "INBOX", sortMsg(fmt.Sprintf("From: n%d@example.org\nSubject: %d\n", i, i), i*100))
	}
	c := ts.selectInbox(t)
	c.run(`
C: e1 EXPUNGE
S: * 1 EXPUNGE
S: e1 OK EXPUNGE completed`)
	return c
}

// TestSearchPartial: RFC 9394 3.1 (and RFC 5267 4.4) RETURN (PARTIAL):
// positions in the result, from the end when negative, NIL past it; the
// range is echoed lowest first.
func TestSearchPartial(t *testing.T) {
	c := partialFixture(t)
	c.run(`
C: a1 CAPABILITY
S: * CAPABILITY {*} CONTEXT=SEARCH CONTEXT=SORT PARTIAL{*}
S: a1 OK CAPABILITY completed
C: a2 SEARCH RETURN (PARTIAL 1:2) ALL
S: * ESEARCH (TAG "a2") PARTIAL (1:2 1:2)
S: a2 OK SEARCH completed
C: a3 SEARCH RETURN (PARTIAL 4:2) ALL
S: * ESEARCH (TAG "a3") PARTIAL (2:4 2:4)
S: a3 OK SEARCH completed
C: a4 SEARCH RETURN (PARTIAL -1:-2) ALL
S: * ESEARCH (TAG "a4") PARTIAL (-1:-2 4:5)
S: a4 OK SEARCH completed
C: a5 SEARCH RETURN (PARTIAL -3:-1) 1:2,4:5
S: * ESEARCH (TAG "a5") PARTIAL (-1:-3 2,4:5)
S: a5 OK SEARCH completed
C: a6 SEARCH RETURN (PARTIAL 6:9) ALL
S: * ESEARCH (TAG "a6") PARTIAL (6:9 NIL)
S: a6 OK SEARCH completed
C: a7 SEARCH RETURN (PARTIAL -6:-9) ALL
S: * ESEARCH (TAG "a7") PARTIAL (-6:-9 NIL)
S: a7 OK SEARCH completed
C: a8 SEARCH RETURN (PARTIAL -2:-9) ALL
S: * ESEARCH (TAG "a8") PARTIAL (-2:-9 1:4)
S: a8 OK SEARCH completed
C: a9 UID SEARCH RETURN (PARTIAL -1:-1 COUNT MIN) ALL
S: * ESEARCH (TAG "a9") UID MIN 2 COUNT 5 PARTIAL (-1:-1 6)
S: a9 OK SEARCH completed
C: b1 SEARCH RETURN (PARTIAL 1:3 COUNT) SUBJECT nowhere
S: * ESEARCH (TAG "b1") COUNT 0 PARTIAL (1:3 NIL)
S: b1 OK SEARCH completed`)
	// RFC 9394 4: no "*", no 0, no mixed signs, a range; RFC 9394 3.1:
	// one PARTIAL or one ALL.
	for _, bad := range []string{"PARTIAL 1", "PARTIAL 1:*", "PARTIAL *:1", "PARTIAL 0:3", "PARTIAL -1:3",
		"PARTIAL 1:-3", "PARTIAL 1:2 ALL", "ALL PARTIAL 1:2", "PARTIAL 1:2 PARTIAL 3:4", "PARTIAL", "PARTIAL 1:4294967296"} {
		c.run(`
C: x1 SEARCH RETURN (` + bad + `) ALL
S: x1 BAD {*}`)
	}
}

// TestSearchPartialSave: RFC 9394 3.2, "$" after SAVE with PARTIAL holds
// what PARTIAL returned (and MIN or MAX), or every match with COUNT.
func TestSearchPartialSave(t *testing.T) {
	c := partialFixture(t)
	c.run(`
C: a1 SEARCH RETURN (SAVE PARTIAL 2:3) ALL
S: * ESEARCH (TAG "a1") PARTIAL (2:3 2:3)
S: a1 OK SEARCH completed
C: a2 FETCH $ (UID)
S: * 2 FETCH (UID 3)
S: * 3 FETCH (UID 4)
S: a2 OK FETCH completed
C: a3 SEARCH RETURN (SAVE MAX PARTIAL 1:1) ALL
S: * ESEARCH (TAG "a3") MAX 5 PARTIAL (1:1 1)
S: a3 OK SEARCH completed
C: a4 UID FETCH $ (UID)
S: * 1 FETCH (UID 2)
S: * 5 FETCH (UID 6)
S: a4 OK FETCH completed
C: a5 SEARCH RETURN (SAVE COUNT PARTIAL 1:1) ALL
S: * ESEARCH (TAG "a5") COUNT 5 PARTIAL (1:1 1)
S: a5 OK SEARCH completed
C: a6 SEARCH $
S: * SEARCH 1 2 3 4 5
S: a6 OK SEARCH completed`)
}

// TestSortPartial: RFC 5267 4.4 with RFC 9394, positions in sort order.
func TestSortPartial(t *testing.T) {
	c := partialFixture(t)
	c.run(`
C: a1 SORT RETURN (PARTIAL 2:3) (REVERSE SIZE) US-ASCII ALL
S: * ESEARCH (TAG "a1") PARTIAL (2:3 4,3)
S: a1 OK SORT completed
C: a2 UID SORT RETURN (PARTIAL -1:-2 MIN) (REVERSE SIZE) US-ASCII ALL
S: * ESEARCH (TAG "a2") UID MIN 6 PARTIAL (-1:-2 3,2)
S: a2 OK SORT completed
C: a3 SORT RETURN (PARTIAL 1:9) (SIZE) US-ASCII ALL
S: * ESEARCH (TAG "a3") PARTIAL (1:9 1:5)
S: a3 OK SORT completed
C: a4 SORT RETURN (PARTIAL 1:*) (SIZE) US-ASCII ALL
S: a4 BAD {*}`)
}

// TestUIDFetchPartial: RFC 9394 3.3, UID FETCH (PARTIAL m:n) answers for
// the messages of the set in the range, counted in mailbox order; after
// CHANGEDSINCE when both are given.
func TestUIDFetchPartial(t *testing.T) {
	c := partialFixture(t)
	c.run(`
C: a1 UID FETCH 1:* (RFC822.SIZE) (PARTIAL -1:-2)
S: * 4 FETCH (UID 5 RFC822.SIZE 436)
S: * 5 FETCH (UID 6 RFC822.SIZE 536)
S: a1 OK FETCH completed
C: a2 UID FETCH 3,5:6 (UID) (PARTIAL 2:9)
S: * 4 FETCH (UID 5)
S: * 5 FETCH (UID 6)
S: a2 OK FETCH completed
C: a3 UID FETCH 1:* (UID) (PARTIAL 6:7)
S: a3 OK FETCH completed
C: a4 STORE 2 +FLAGS.SILENT (\Flagged)
S: a4 OK STORE completed
C: a5 UID FETCH 1:* (UID) (CHANGEDSINCE 1 PARTIAL 1:1)
S: * OK [HIGHESTMODSEQ {*}] Highest
S: * 1 FETCH (UID 2 MODSEQ ({*}))
S: a5 OK FETCH completed
C: a6 UID FETCH 1:* (UID) (PARTIAL -1:-1 CHANGEDSINCE 1)
S: * 5 FETCH (UID 6 MODSEQ ({*}))
S: a6 OK FETCH completed
C: a7 FETCH 1:* (UID) (PARTIAL 1:2)
S: a7 BAD {*}
C: a8 UID FETCH 1:* (UID) (PARTIAL 1:2 PARTIAL 3:4)
S: a8 BAD {*}`)
}
