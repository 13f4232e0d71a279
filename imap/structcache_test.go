package imap_test

import (
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/mailbox"
)

const fwdMsg = "From: Alice <alice@example.org>\r\n" +
	"Subject: Outer\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=b1\r\n" +
	"\r\n" +
	"--b1\r\n" +
	"Content-Type: text/plain\r\n" +
	"\r\n" +
	"Hello\r\n" +
	"--b1\r\n" +
	"Content-Type: message/rfc822\r\n" +
	"\r\n" +
	"From: Bob <bob@example.org>\r\n" +
	"Subject: Inner\r\n" +
	"\r\n" +
	"Forwarded\r\n" +
	"--b1--\r\n"

// TestFetchStructureCache fetches BODYSTRUCTURE, ENVELOPE and a section
// of a message with an encapsulated message from two sessions, with the
// backend's structure cache (imap.StructureCache) on and off: the answers
// are the same, whether the structure was parsed by the server, parsed by
// the cache or taken from it.
func TestFetchStructureCache(t *testing.T) {
	for _, size := range []int{0, -1} {
		ts := startServer(t, func(s *imap.Server) {
			s.Backend.(*mailbox.IMAPBackend).StructureCacheSize = size
		})
		ts.deliver(t, "alice", "INBOX", fwdMsg)
		for range 2 {
			c := ts.selectInbox(t)
			c.run(`
C: a1 FETCH 1 (BODYSTRUCTURE ENVELOPE)
S: * 1 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0 NIL NIL NIL NIL)("message" "rfc822" NIL NIL NIL "7bit" 56 (NIL "Inner" (("Bob" NIL "bob" "example.org")) (("Bob" NIL "bob" "example.org")) (("Bob" NIL "bob" "example.org")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) "mixed" ("boundary" "b1") NIL NIL NIL) ENVELOPE (NIL "Outer" (("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) (("Alice" NIL "alice" "example.org")) NIL NIL NIL NIL NIL))
S: a1 OK FETCH completed
C: a2 FETCH 1 (BODY.PEEK[2.HEADER.FIELDS (Subject)] BODY.PEEK[1])
S: * 1 FETCH (BODY[2.HEADER.FIELDS (Subject)] {18}
S: Subject: Inner
S:
S:  BODY[1] {5}
S: Hello)
S: a2 OK FETCH completed
C: a3 LOGOUT
S: * BYE {*}
S: a3 OK LOGOUT completed`)
		}
	}
}
