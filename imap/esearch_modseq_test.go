package imap_test

import "testing"

// RFC 4731 3.2 (with RFC 7162 3.1.5): the MODSEQ of an ESEARCH with MIN
// or MAX alone is the mod-sequence of the message returned (of both, with
// MIN and MAX), not the highest of all the matches; with ALL or COUNT it
// is the highest of all (imaptest's esearch-condstore).
func TestESearchModSeqOfMinMax(t *testing.T) {
	ts := startServer(t, nil)
	for range 3 {
		ts.deliver(t, "alice", "INBOX", msg1)
	}
	c := ts.selectInbox(t)
	c.run(`
C: a1 STORE 3 +FLAGS.SILENT (\Seen)
S: a1 OK STORE completed
C: a2 STORE 1 +FLAGS.SILENT (\Seen)
S: a2 OK STORE completed
C: a3 STORE 2 +FLAGS.SILENT (\Seen)
S: a3 OK STORE completed
C: a4 FETCH 1:3 MODSEQ
S: * OK [HIGHESTMODSEQ 6] Highest
S: * 1 FETCH (MODSEQ (5))
S: * 2 FETCH (MODSEQ (6))
S: * 3 FETCH (MODSEQ (4))
S: a4 OK FETCH completed
C: b1 SEARCH RETURN (MIN) MODSEQ 1
S: * ESEARCH (TAG "b1") MIN 1 MODSEQ 5
S: b1 OK SEARCH completed
C: b2 SEARCH RETURN (MAX) MODSEQ 1
S: * ESEARCH (TAG "b2") MAX 3 MODSEQ 4
S: b2 OK SEARCH completed
C: b3 SEARCH RETURN (MIN MAX) MODSEQ 1
S: * ESEARCH (TAG "b3") MIN 1 MAX 3 MODSEQ 5
S: b3 OK SEARCH completed
C: b4 UID SEARCH RETURN (MAX) MODSEQ 5
S: * ESEARCH (TAG "b4") UID MAX 2 MODSEQ 6
S: b4 OK SEARCH completed
C: b5 SEARCH RETURN (MIN COUNT) MODSEQ 1
S: * ESEARCH (TAG "b5") MIN 1 COUNT 3 MODSEQ 6
S: b5 OK SEARCH completed
C: b6 SEARCH RETURN (ALL) MODSEQ 1
S: * ESEARCH (TAG "b6") ALL 1:3 MODSEQ 6
S: b6 OK SEARCH completed`)
}
