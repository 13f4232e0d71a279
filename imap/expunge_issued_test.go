package imap_test

import (
	"fmt"
	"testing"
)

// expungedElsewhere delivers three messages to alice's INBOX, selects it
// in a and b, and has b expunge message 2. a has not been told.
func expungedElsewhere(t *testing.T) (ts *testServer, a, b *client) {
	t.Helper()
	ts = startServer(t, nil)
	for range 3 {
		ts.deliver(t, "alice", "INBOX", msg1)
	}
	a = ts.selectInbox(t)
	b = ts.selectInbox(t)
	b.run(`
C: b1 STORE 2 +FLAGS.SILENT (\Deleted)
S: b1 OK STORE completed
C: b2 EXPUNGE
S: * 2 EXPUNGE
S: b2 OK EXPUNGE completed`)
	return ts, a, b
}

// heldBack makes a learn of the expunge during a FETCH, which must not
// carry EXPUNGE (RFC 3501 7.4.1): the expunge is then held back, and
// message 2 is still in a's view.
func heldBack(a *client) {
	a.run(`
C: h1 FETCH 1 UID
S: * 1 FETCH (UID 1)
S: h1 OK FETCH completed`)
}

// RFC 5530 3 (EXPUNGEISSUED), RFC 2180 4.1.2: FETCH of messages another
// session expunged answers the others, then NO [EXPUNGEISSUED]; the text
// is Dovecot's, which clients and imaptest recognize.
func TestFetchExpungedHeldBack(t *testing.T) {
	_, a, _ := expungedElsewhere(t)
	heldBack(a)
	a.run(`
C: a1 FETCH 1:3 UID
S: * 1 FETCH (UID 1)
S: * 3 FETCH (UID 3)
S: a1 NO [EXPUNGEISSUED] Some of the requested messages no longer exist
C: a2 NOOP
S: * 2 EXPUNGE
S: a2 OK NOOP completed`)
}

// The same when the session has not polled since the expunge: the
// backend's Open fails with EXPUNGEISSUED.
func TestFetchExpungedNotYetPolled(t *testing.T) {
	_, a, _ := expungedElsewhere(t)
	a.run(`
C: a1 FETCH 2 BODY.PEEK[HEADER.FIELDS (SUBJECT)]
S: a1 NO [EXPUNGEISSUED] Some of the requested messages no longer exist
C: a2 NOOP
S: * 2 EXPUNGE
S: a2 OK NOOP completed`)
}

// RFC 2180 4.2, RFC 5530 3: STORE changes the messages that are still
// there and says EXPUNGEISSUED for the others (OK, as Dovecot does: a NO
// to STORE reads as a failure to clients and imaptest), whether the
// session had learnt of the expunge or not.
func TestStoreExpunged(t *testing.T) {
	_, a, _ := expungedElsewhere(t)
	a.run(`
C: a1 STORE 1:3 +FLAGS (\Flagged)
S: * 1 FETCH (FLAGS (\Flagged \Recent))
S: * 3 FETCH (FLAGS (\Flagged \Recent))
S: a1 OK [EXPUNGEISSUED] STORE completed
C: a2 STORE 2 +FLAGS.SILENT (\Seen)
S: a2 OK [EXPUNGEISSUED] STORE completed
C: a3 NOOP
S: * 2 EXPUNGE
S: a3 OK NOOP completed
C: a4 STORE 1:2 -FLAGS.SILENT (\Flagged)
S: a4 OK STORE completed`)
}

// RFC 3501 6.4.7: COPY and MOVE are all or nothing, so a message that
// another session expunged fails them with NO [EXPUNGEISSUED] and nothing
// is copied, whether the session had learnt of the expunge (held back)
// or only the store knows.
func TestCopyMoveExpunged(t *testing.T) {
	for _, cmd := range []string{"COPY", "MOVE", "UID COPY", "UID MOVE"} {
		for _, held := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/held=%v", cmd, held), func(t *testing.T) {
				_, a, _ := expungedElsewhere(t)
				if held {
					heldBack(a)
				}
				set := "1:3"
				if cmd[0] == 'U' {
					set = "1:*"
				}
				// The EXPUNGE comes with the NO: COPY and MOVE may
				// carry it (RFC 3501 7.4.1).
				a.run(`
C: a1 ` + cmd + ` ` + set + ` Trash
S: * 2 EXPUNGE
S: a1 NO [EXPUNGEISSUED] Some of the requested messages no longer exist
C: a2 STATUS Trash (MESSAGES)
S: * STATUS Trash (MESSAGES 0)
S: a2 OK STATUS completed
C: a3 FETCH 1:* UID
S: * 1 FETCH (UID 1)
S: * 2 FETCH (UID 3)
S: a3 OK FETCH completed`)
			})
		}
	}
}

// RFC 5530 3: a SEARCH, SORT or THREAD that had to leave out a message
// another session expunged says so with OK [EXPUNGEISSUED] (the RFC's
// example), on the key that needs no content as on the one that reads it.
func TestSearchSortThreadExpunged(t *testing.T) {
	for _, tc := range []struct{ cmd, resp string }{
		{"SEARCH ALL", "* SEARCH 1 3"},
		{`SEARCH TEXT "Bob"`, "* SEARCH 1 3"},
		{"SORT (ARRIVAL) UTF-8 ALL", "* SORT 1 3"},
		{"THREAD ORDEREDSUBJECT UTF-8 ALL", "* THREAD (1 3)"},
	} {
		for _, held := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/held=%v", tc.cmd, held), func(t *testing.T) {
				_, a, _ := expungedElsewhere(t)
				if held {
					heldBack(a)
				} else if tc.cmd == "SEARCH ALL" {
					// Without reading a message, only a held-back
					// expunge is known.
					return
				}
				verb := tc.cmd[:6]
				if verb != "SEARCH" {
					verb = tc.cmd[:4]
					if verb == "THRE" {
						verb = "THREAD"
					}
				}
				a.run(`
C: a1 ` + tc.cmd + `
S: ` + tc.resp + `
S: a1 OK [EXPUNGEISSUED] ` + verb + ` completed`)
			})
		}
	}
}

// RFC 5530 3 (CLIENTBUG, its example): STATUS of the selected mailbox,
// which RFC 3501 6.3.10 says is not what STATUS is for, succeeds and says
// CLIENTBUG.
func TestStatusSelectedClientBug(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	a := ts.selectInbox(t)
	a.run(`
C: a1 STATUS INBOX (MESSAGES)
S: * STATUS INBOX (MESSAGES 1)
S: a1 OK [CLIENTBUG] STATUS on the selected mailbox
C: a2 STATUS Trash (MESSAGES)
S: * STATUS Trash (MESSAGES 0)
S: a2 OK STATUS completed`)
}
