package imap_test

import (
	"context"
	"io"
	"testing"

	"github.com/mailwright/mailwright/imap"
)

// RFC 7889: APPENDLIMIT is advertised with the configured limit, reported
// by STATUS, and a larger APPEND is refused before the literal is sent.
func TestAppendLimit(t *testing.T) {
	ts := startServer(t, func(s *imap.Server) { s.MaxAppendSize = 100 })
	c := ts.login(t)
	c.run(`
C: a1 CAPABILITY
S: * CAPABILITY {*} APPENDLIMIT=100{*}
S: a1 OK CAPABILITY completed
C: a2 STATUS INBOX (APPENDLIMIT MESSAGES)
S: * STATUS INBOX (APPENDLIMIT 100 MESSAGES 0)
S: a2 OK STATUS completed
C: a3 APPEND INBOX {101}
S: a3 NO [TOOBIG] Message too large
C: a5 APPEND INBOX {5}
S: + Ready for literal data
C: hello
S: a5 OK [APPENDUID {*} 1] APPEND completed
C: a6 STATUS INBOX (MESSAGES)
S: * STATUS INBOX (MESSAGES 1)
S: a6 OK STATUS completed`)
}

// RFC 8438: STATUS=SIZE is advertised and STATUS SIZE works in an
// IMAP4rev1 session (no ENABLE IMAP4rev2).
func TestStatusSize(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", "Subject: x\r\n\r\n12345\r\n")
	c := ts.login(t)
	c.run(`
C: a1 CAPABILITY
S: * CAPABILITY {*} STATUS=SIZE{*}
S: a1 OK CAPABILITY completed
C: a2 STATUS INBOX (SIZE MESSAGES)
S: * STATUS INBOX (SIZE 21 MESSAGES 1)
S: a2 OK STATUS completed`)
}

// RFC 3502: several messages in one APPEND get one APPENDUID with the set
// of their UIDs; when one of them fails, none is kept, also when the
// session has the mailbox selected (it then sees no change at all).
func TestMultiAppend(t *testing.T) {
	ts := startServer(t, func(s *imap.Server) { s.MaxAppendSize = 100 })
	c := ts.login(t)
	c.run(`
C: a1 CAPABILITY
S: * CAPABILITY {*} MULTIAPPEND{*}
S: a1 OK CAPABILITY completed
C: a2 APPEND INBOX (\Seen) {5}
S: + Ready for literal data
C: hello (\Flagged) {5}
S: + Ready for literal data
C: world {3}
S: + Ready for literal data
C: abc
S: a2 OK [APPENDUID {*} 1:3] APPEND completed
C: a3 APPEND INBOX {5}
S: + Ready for literal data
C: hello {101}
S: a3 NO [TOOBIG] Message too large
C: a4 STATUS INBOX (MESSAGES)
S: * STATUS INBOX (MESSAGES 3)
S: a4 OK STATUS completed
C: a5 APPEND INBOX {5}
S: + Ready for literal data
C: hello {5}
S: + Ready for literal data
C: world BOGUS
S: a5 BAD {*}
C: a6 STATUS INBOX (MESSAGES)
S: * STATUS INBOX (MESSAGES 3)
S: a6 OK STATUS completed
C: a7 SELECT INBOX
S: * FLAGS {*}
S: * OK [PERMANENTFLAGS {*}
S: * 3 EXISTS
S: * 3 RECENT
S: * OK [UNSEEN 2] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT {*}] Predicted next UID
S: a7 OK [READ-WRITE] SELECT completed
C: a8 UID FETCH 1:* (FLAGS)
S: * 1 FETCH (UID 1 FLAGS (\Seen \Recent))
S: * 2 FETCH (UID 2 FLAGS (\Flagged \Recent))
S: * 3 FETCH (UID 3 FLAGS (\Recent))
S: a8 OK FETCH completed
C: a9 APPEND INBOX {5}
S: + Ready for literal data
C: hello {101}
S: a9 NO [TOOBIG] Message too large
C: a10 NOOP
S: a10 OK NOOP completed
C: a11 STATUS INBOX (MESSAGES)
S: * STATUS INBOX (MESSAGES 3)
S: a11 OK [CLIENTBUG] STATUS on the selected mailbox`)
}

// RFC 6855: ENABLE UTF8=ACCEPT switches the session to raw UTF-8 mailbox
// names and quoted strings; before it, names travel in modified UTF-7.
func TestUTF8Accept(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.login(t)
	c.run(`
C: a1 CAPABILITY
S: * CAPABILITY {*} UTF8=ACCEPT{*}
S: a1 OK CAPABILITY completed
C: a0 CREATE "Größe"
S: a0 NO [CANNOT] {*}
C: a2 CREATE "Entw&APw-rfe"
S: a2 OK CREATE completed
C: a3 LIST "" "Entw*"
S: * LIST (\HasNoChildren) "/" Entw&APw-rfe
S: a3 OK LIST completed
C: a4 ENABLE UTF8=ACCEPT
S: * ENABLED UTF8=ACCEPT
S: a4 OK ENABLE completed
C: a5 ENABLE UTF8=ACCEPT
S: * ENABLED
S: a5 OK ENABLE completed
C: a6 LIST "" "Entw*"
S: * LIST (\HasNoChildren) "/" "Entwürfe"
S: a6 OK LIST completed
C: a7 CREATE "Größe"
S: a7 OK CREATE completed
C: a8 STATUS "Größe" (MESSAGES)
S: * STATUS "Größe" (MESSAGES 0)
S: a8 OK STATUS completed`)
	// A second session without ENABLE sees the new mailbox in modified
	// UTF-7.
	c2 := ts.login(t)
	c2.run(`
C: b1 LIST "" "Gr*"
S: * LIST (\HasNoChildren) "/" Gr&APYA3w-e
S: b1 OK LIST completed`)
}

// RFC 7162 3.1: CONDSTORE with two sessions. A flag change in one
// raises the MODSEQ the other sees; STORE UNCHANGEDSINCE against a stale
// mod-sequence answers [MODIFIED]; FETCH CHANGEDSINCE, SEARCH MODSEQ and
// STATUS HIGHESTMODSEQ report the mod-sequences.
func TestCondStore(t *testing.T) {
	ts := startServer(t, nil)
	for range 3 {
		ts.deliver(t, "alice", "INBOX", "Subject: x\r\n\r\nbody\r\n")
	}
	a := ts.login(t)
	b := ts.login(t)
	a.run(`
C: a1 CAPABILITY
S: * CAPABILITY {*} CONDSTORE{*}
S: a1 OK CAPABILITY completed
C: a2 SELECT INBOX (CONDSTORE)
S: * FLAGS {*}
S: * OK [PERMANENTFLAGS {*}
S: * 3 EXISTS
S: * 3 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: * OK [HIGHESTMODSEQ 3] Highest
S: a2 OK [READ-WRITE] SELECT completed
C: a3 FETCH 1:* (MODSEQ)
S: * 1 FETCH (MODSEQ (1))
S: * 2 FETCH (MODSEQ (2))
S: * 3 FETCH (MODSEQ (3))
S: a3 OK FETCH completed`)
	b.run(`
C: b1 ENABLE CONDSTORE
S: * ENABLED CONDSTORE
S: b1 OK ENABLE completed
C: b2 EXAMINE INBOX
S: * FLAGS {*}
S: * OK [PERMANENTFLAGS {*}
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: * OK [HIGHESTMODSEQ 3] Highest
S: b2 OK [READ-ONLY] EXAMINE completed`)
	a.run(`
C: a4 STORE 2 +FLAGS (\Flagged)
S: * 2 FETCH (UID 2 FLAGS (\Flagged \Recent) MODSEQ (4))
S: a4 OK STORE completed
C: a5 STORE 1:3 (UNCHANGEDSINCE 3) +FLAGS.SILENT (\Seen)
S: * 1 FETCH (UID 1 MODSEQ (5))
S: * 3 FETCH (UID 3 MODSEQ (5))
S: a5 OK [MODIFIED 2] Conditional STORE failed for some messages
C: a6 UID STORE 2 (UNCHANGEDSINCE 4) FLAGS (\Answered)
S: * 2 FETCH (UID 2 FLAGS (\Answered \Recent) MODSEQ (6))
S: a6 OK STORE completed
C: a7 UID STORE 1 (UNCHANGEDSINCE 1) -FLAGS (\Seen)
S: a7 OK [MODIFIED 1] Conditional STORE failed for some messages`)
	// The other session learns the changes with their mod-sequences.
	b.run(`
C: b3 NOOP
S: * 1 FETCH (UID 1 FLAGS (\Seen) MODSEQ (5))
S: * 2 FETCH (UID 2 FLAGS (\Answered) MODSEQ (6))
S: * 3 FETCH (UID 3 FLAGS (\Seen) MODSEQ (5))
S: b3 OK NOOP completed
C: b4 FETCH 1:* (FLAGS) (CHANGEDSINCE 4)
S: * 1 FETCH (FLAGS (\Seen) MODSEQ (5))
S: * 2 FETCH (FLAGS (\Answered) MODSEQ (6))
S: * 3 FETCH (FLAGS (\Seen) MODSEQ (5))
S: b4 OK FETCH completed
C: b5 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 5)
S: * 2 FETCH (UID 2 FLAGS (\Answered) MODSEQ (6))
S: b5 OK FETCH completed
C: b6 SEARCH MODSEQ 5
S: * SEARCH 1 2 3 (MODSEQ 6)
S: b6 OK SEARCH completed
C: b7 SEARCH MODSEQ 6 SEEN
S: * SEARCH
S: b7 OK SEARCH completed
C: b8 UID SEARCH RETURN (ALL COUNT) MODSEQ 5 SEEN
S: * ESEARCH (TAG "b8") UID ALL 1,3 COUNT 2 MODSEQ 5
S: b8 OK SEARCH completed
C: b9 STATUS INBOX (HIGHESTMODSEQ MESSAGES)
S: * STATUS INBOX (HIGHESTMODSEQ 6 MESSAGES 3)
S: b9 OK [CLIENTBUG] STATUS on the selected mailbox`)
}

// RFC 7162 3.1: an enabling command in the selected state reports
// HIGHESTMODSEQ at once, and a FETCH that sets \Seen then reports the new
// mod-sequence with the flags; before CONDSTORE no MODSEQ is sent.
func TestCondStoreEnabledWhileSelected(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", "Subject: x\r\n\r\nbody\r\n")
	ts.deliver(t, "alice", "INBOX", "Subject: y\r\n\r\nbody\r\n")
	c := ts.login(t)
	c.run(`
C: a1 SELECT INBOX
S: * FLAGS {*}
S: * OK [PERMANENTFLAGS {*}
S: * 2 EXISTS
S: * 2 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
S: a1 OK [READ-WRITE] SELECT completed
C: a2 FETCH 1 (BODY[TEXT])
S: * 1 FETCH (FLAGS (\Seen \Recent) BODY[TEXT] {6}
S: body
S: )
S: a2 OK FETCH completed
C: a3 STATUS INBOX (HIGHESTMODSEQ)
S: * OK [HIGHESTMODSEQ 3] Highest
S: * STATUS INBOX (HIGHESTMODSEQ 3)
S: a3 OK [CLIENTBUG] STATUS on the selected mailbox
C: a4 FETCH 2 (BODY[TEXT])
S: * 2 FETCH (UID 2 FLAGS (\Seen \Recent) MODSEQ (4) BODY[TEXT] {6}
S: body
S: )
S: a4 OK FETCH completed
C: a5 UID FETCH 2 (MODSEQ FLAGS)
S: * 2 FETCH (UID 2 MODSEQ (4) FLAGS (\Seen \Recent))
S: a5 OK FETCH completed`)
}

// RFC 6855 4: the UTF8 append data item, a literal8 in
// parentheses, also as one message of a MULTIAPPEND; a missing ")" after
// the data is a syntax error and nothing is kept.
func TestAppendUTF8Data(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.login(t)
	c.run(`
C: a1 ENABLE UTF8=ACCEPT
S: * ENABLED UTF8=ACCEPT
S: a1 OK ENABLE completed
C: a2 APPEND INBOX UTF8 (~{20}
S: + Ready for literal data
C: Subject: café
C: 
C: hi) (\Seen) UTF8 (~{4+}
C: abcd)
S: a2 OK [APPENDUID {*} 1:2] APPEND completed
C: a3 APPEND INBOX UTF8 (~{4+}
C: abcd {2+}
C: xy
S: a3 BAD {*}
C: a4 STATUS INBOX (MESSAGES)
S: * STATUS INBOX (MESSAGES 2)
S: a4 OK STATUS completed
C: a5 SELECT INBOX
S: * FLAGS {*}
S: * OK [PERMANENTFLAGS {*}
S: * 2 EXISTS
S: * 2 RECENT
S: * OK [UNSEEN 1] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT {*}] Predicted next UID
S: a5 OK [READ-WRITE] SELECT completed
C: a6 FETCH 1 (FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])
S: * 1 FETCH (FLAGS (\Recent) RFC822.SIZE 20 BODY[HEADER.FIELDS (SUBJECT)] {18}
S: Subject: café
S: 
S: )
S: a6 OK FETCH completed
C: a7 FETCH 2 (FLAGS BODY.PEEK[])
S: * 2 FETCH (FLAGS (\Seen \Recent) BODY[] {4}
S: abcd)
S: a7 OK FETCH completed`)
}

// failSecondAppend is a User whose second Append of each command fails
// with OVERQUOTA, to exercise MULTIAPPEND's undo after a backend failure.
type failSecondAppend struct {
	imap.User
	calls int
}

func (u *failSecondAppend) Append(ctx context.Context, name string, r io.Reader, opts *imap.AppendOptions) (imap.AppendResult, error) {
	u.calls++
	if u.calls == 2 {
		return imap.AppendResult{}, &imap.Error{Code: "OVERQUOTA", Text: "Quota exceeded"}
	}
	return u.User.Append(ctx, name, r, opts)
}

// RFC 3502 6.3.11: the backend refuses the second message of a
// MULTIAPPEND; the first, already stored, is removed again.
func TestMultiAppendBackendFailure(t *testing.T) {
	ts := startServer(t, wrapUsers(func(u imap.User) imap.User { return &failSecondAppend{User: u} }))
	c := ts.login(t)
	c.run(`
C: a1 APPEND INBOX {5}
S: + Ready for literal data
C: hello {5}
S: + Ready for literal data
C: world
S: a1 NO [OVERQUOTA] Quota exceeded
C: a2 STATUS INBOX (MESSAGES UIDNEXT)
S: * STATUS INBOX (MESSAGES 0 UIDNEXT 2)
S: a2 OK STATUS completed
C: a3 APPEND INBOX {5}
S: + Ready for literal data
C: third
S: a3 OK [APPENDUID {*} 2] APPEND completed`)
}
