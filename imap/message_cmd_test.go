package imap_test

import (
	"testing"
)

// selectInbox logs in and selects INBOX (rev1), skipping the responses
// up to the tagged OK.
func (ts *testServer) selectInbox(t *testing.T) *client {
	c := ts.login(t)
	c.send("S1 SELECT INBOX")
	for {
		l := c.readLine()
		if match("S1 OK {*}", l) {
			return c
		}
		if match("S1 {*}", l) {
			t.Fatalf("SELECT failed: %s", l)
		}
	}
}

func TestFetch(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1, `\Seen`)
	ts.deliver(t, "alice", "INBOX", msg2)
	c := ts.selectInbox(t)
	c.run(`
C: a1 FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE UID)
S: * 1 FETCH (FLAGS (\Seen \Recent) INTERNALDATE "{*}" RFC822.SIZE 148 UID 1)
S: a1 OK FETCH completed
C: a2 FETCH 1 ENVELOPE
S: * 1 FETCH (ENVELOPE ("Tue, 5 Mar 2024 10:00:00 +0000" "Hello" (("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) ((NIL NIL "bob" "example.org")) NIL NIL NIL "<1@example.org>"))
S: a2 OK FETCH completed
C: a3 FETCH 2 BODYSTRUCTURE
S: * 2 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 24 0 NIL NIL NIL NIL)("application" "octet-stream" NIL NIL NIL "base64" 8 NIL NIL NIL NIL) "mixed" ("boundary" "xx") NIL NIL NIL))
S: a3 OK FETCH completed
C: a4 FETCH 2 BODY
S: * 2 FETCH (BODY (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 24 0)("application" "octet-stream" NIL NIL NIL "base64" 8) "mixed"))
S: a4 OK FETCH completed
C: a5 FETCH 2 (BODY.PEEK[1] BODY.PEEK[2.MIME] BINARY.PEEK[2] BINARY.SIZE[2] BODY.PEEK[3])
S: * 2 FETCH (BODY[1] {24}
S: Noon at the usual place? BODY[2.MIME] {77}
S: Content-Type: application/octet-stream
S: Content-Transfer-Encoding: base64
S:
S:  BINARY[2] ~{5}
S: hello BINARY.SIZE[2] 5 BODY[3] NIL)
S: a5 OK FETCH completed
C: a6 FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject)] BODY.PEEK[TEXT]<0.3>)
S: * 1 FETCH (BODY[HEADER.FIELDS (Subject)] {18}
S: Subject: Hello
S:
S:  BODY[TEXT]<0> {3}
S: Hi )
S: a6 OK FETCH completed
C: a7 FETCH 2 FLAGS
S: * 2 FETCH (FLAGS (\Recent))
S: a7 OK FETCH completed
# A body fetch without PEEK sets \Seen, and FLAGS comes with it.
C: a8 FETCH 2 BODY[1]
S: * 2 FETCH (FLAGS (\Seen \Recent) BODY[1] {24}
S: Noon at the usual place?)
S: a8 OK FETCH completed
C: a9 UID FETCH 1:* RFC822.HEADER
S: * 1 FETCH (UID 1 RFC822.HEADER {{*}}
S: From: Alice <alice@example.org>
S: To: bob@example.org
S: Subject: Hello
S: Date: Tue, 5 Mar 2024 10:00:00 +0000
S: Message-ID: <1@example.org>
S:
S: )
S: * 2 FETCH (UID 2 RFC822.HEADER {{*}}
S: From: Carol <carol@example.org>
S: To: alice@example.org
S: Subject: Lunch
S: MIME-Version: 1.0
S: Content-Type: multipart/mixed; boundary=xx
S:
S: )
S: a9 OK FETCH completed
C: b1 FETCH 3 FLAGS
S: b1 BAD Invalid sequence number
C: b2 UID FETCH 3:4 FLAGS
S: b2 OK FETCH completed
C: b3 FETCH 1 BINARY[1]
S: * 1 FETCH (BINARY[1] ~{9}
S: Hi Bob.
S: )
S: b3 OK FETCH completed
C: b4 FETCH 1 (FLAGS
S: b4 BAD {*}`)
}

func TestFetchExamineDoesNotSetSeen(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	c := ts.login(t)
	c.run(`
C: a1 EXAMINE INBOX
S: {*}
S: {*}
S: {*}
S: {*}
S: {*}
S: {*}
S: {*}
S: a1 OK [READ-ONLY] EXAMINE completed
C: a2 FETCH 1 RFC822.TEXT
S: * 1 FETCH (RFC822.TEXT {9}
S: Hi Bob.
S: )
S: a2 OK FETCH completed
C: a3 FETCH 1 FLAGS
S: * 1 FETCH (FLAGS (\Recent))
S: a3 OK FETCH completed
C: a4 STORE 1 +FLAGS (\Seen)
S: a4 NO [READ-ONLY] Mailbox is read-only
C: a5 EXPUNGE
S: a5 NO [READ-ONLY] Mailbox is read-only`)
}

func TestStoreAndKeywords(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1)
	ts.deliver(t, "alice", "INBOX", msg1)
	c := ts.selectInbox(t)
	c.run(`
C: a1 STORE 1 +FLAGS (\Flagged)
S: * 1 FETCH (FLAGS (\Flagged \Recent))
S: a1 OK STORE completed
C: a2 STORE 1:2 +FLAGS.SILENT (\Seen)
S: a2 OK STORE completed
C: a3 UID STORE 2 FLAGS ($Work \Answered)
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Work)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Work \*)] Flags permitted
S: * 2 FETCH (UID 2 FLAGS (\Answered $Work \Recent))
S: a3 OK STORE completed
C: a4 STORE 1 -FLAGS (\Flagged \Seen)
S: * 1 FETCH (FLAGS (\Recent))
S: a4 OK STORE completed
C: a5 STORE 1 +FLAGS (\Recent)
S: a5 BAD \Recent cannot be set by the client
C: a6 SEARCH KEYWORD $Work
S: * SEARCH 2
S: a6 OK SEARCH completed`)
}

func TestSearch(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", msg1, `\Seen`)
	ts.deliver(t, "alice", "INBOX", msg2)
	ts.deliver(t, "alice", "INBOX", msg1, `\Deleted`)
	c := ts.selectInbox(t)
	c.run(`
C: a1 SEARCH ALL
S: * SEARCH 1 2 3
S: a1 OK SEARCH completed
C: a2 SEARCH UNSEEN
S: * SEARCH 2 3
S: a2 OK SEARCH completed
C: a3 UID SEARCH TEXT "usual place"
S: * SEARCH 2
S: a3 OK SEARCH completed
C: a4 SEARCH CHARSET UTF-8 FROM carol
S: * SEARCH 2
S: a4 OK SEARCH completed
C: a5 SEARCH CHARSET X-UNKNOWN FROM carol
S: a5 NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset
C: a6 SEARCH OR DELETED SUBJECT lunch NOT 1
S: * SEARCH 2 3
S: a6 OK SEARCH completed
C: a7 SEARCH RETURN (MIN MAX COUNT) UNDELETED
S: * ESEARCH (TAG "a7") MIN 1 MAX 2 COUNT 2
S: a7 OK SEARCH completed
C: a8 UID SEARCH RETURN () 2:*
S: * ESEARCH (TAG "a8") UID ALL 2:3
S: a8 OK SEARCH completed
C: a9 SEARCH HEADER Message-ID "<1@"
S: * SEARCH 1 3
S: a9 OK SEARCH completed
C: b1 SEARCH RECENT
S: * SEARCH 1 2 3
S: b1 OK SEARCH completed
C: b2 SEARCH BODY nothing-like-this
S: * SEARCH
S: b2 OK SEARCH completed`)
}

func TestCopyMoveExpunge(t *testing.T) {
	ts := startServer(t, nil)
	for range 4 {
		ts.deliver(t, "alice", "INBOX", msg1)
	}
	c := ts.selectInbox(t)
	c.run(`
C: a1 COPY 1:2 Trash
S: a1 OK [COPYUID {*} 1:2 1:2] COPY completed
C: a2 COPY 1 Nope
S: a2 NO [TRYCREATE] No such mailbox
C: a3 UID MOVE 3 Trash
S: * OK [COPYUID {*} 3 3] Moved
S: * 3 EXPUNGE
S: a3 OK MOVE completed
C: a4 MOVE 1 INBOX
S: * OK [COPYUID {*} 1 5] Moved
S: * 1 EXPUNGE
S: * 3 EXISTS
S: * 3 RECENT
S: a4 OK MOVE completed
C: a5 FETCH 1:* UID
S: * 1 FETCH (UID 2)
S: * 2 FETCH (UID 4)
S: * 3 FETCH (UID 5)
S: a5 OK FETCH completed
`)
	c.run(`
C: a6 NOOP
S: a6 OK NOOP completed
C: a7 STORE 1,3 +FLAGS.SILENT (\Deleted)
S: a7 OK STORE completed
C: a8 UID EXPUNGE 5
S: * 3 EXPUNGE
S: a8 OK EXPUNGE completed
C: a9 EXPUNGE
S: * 1 EXPUNGE
S: a9 OK EXPUNGE completed
C: b1 STORE 1 +FLAGS.SILENT (\Deleted)
S: b1 OK STORE completed
C: b2 CLOSE
S: b2 OK CLOSE completed
C: b3 STATUS INBOX (MESSAGES)
S: * STATUS INBOX (MESSAGES 0)
S: b3 OK STATUS completed
C: b4 STATUS Trash (MESSAGES)
S: * STATUS Trash (MESSAGES 3)
S: b4 OK STATUS completed`)
}

func TestAppend(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.login(t)
	c.run(`
C: a1 APPEND INBOX (\Seen $Label) "05-Mar-2024 10:00:00 +0000" {9}
S: + Ready for literal data
C: Hi there.
S: a1 OK [APPENDUID {*} 1] APPEND completed
C: a2 APPEND Nope {9}
S: a2 NO [TRYCREATE] No such mailbox
C: a3 APPEND INBOX {9+}
C: Hi again.
S: a3 OK [APPENDUID {*} 2] APPEND completed
C: a4 SELECT INBOX
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Label)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Label \*)] Flags permitted
S: * 2 EXISTS
S: * 2 RECENT
S: * OK [UNSEEN 2] First unseen
S: * OK [UIDVALIDITY {*}] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
S: a4 OK [READ-WRITE] SELECT completed
C: a5 FETCH 1 (FLAGS INTERNALDATE BODY[])
S: * 1 FETCH (FLAGS (\Seen $Label \Recent) INTERNALDATE " 5-Mar-2024 {*}" BODY[] {9}
S: Hi there.)
S: a5 OK FETCH completed
C: a6 APPEND INBOX {99999999999}
S: a6 NO [TOOBIG] Message too large
C: a7 APPEND INBOX {4}
S: + Ready for literal data
C: abcd
S: * 3 EXISTS
S: * 3 RECENT
S: a7 OK [APPENDUID {*} 3] APPEND completed`)
}
