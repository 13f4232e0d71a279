package imap_test

import (
	"testing"

	"github.com/mailwright/mailwright/imap"
)

// catMsg is the message the CATENATE tests take parts from: 64 bytes,
// header 39, body 25.
const catMsg = "From: a@example.org\r\nSubject: parts\r\n\r\n" +
	"first line\r\nsecond line\r\n"

// TestCatenate assembles messages from URLs and TEXT parts (RFC 4469 5):
// a header from one message, a body from the client, a section, a
// partial range, a relative URL into the selected mailbox, and several
// messages in one APPEND (MULTIAPPEND).
func TestCatenate(t *testing.T) {
	ts := startServer(t, nil)
	ts.deliver(t, "alice", "INBOX", catMsg)
	c := ts.login(t)
	uidv := c.uidValidity()
	c.run(`
C: a1 CREATE Out
S: a1 OK CREATE completed
C: a2 APPEND Out (\Seen) CATENATE (URL "/INBOX/;UID=1/;SECTION=HEADER" TEXT {10}
S: + Ready for literal data
C: new body
C: )
S: a2 OK [APPENDUID {*} 1] APPEND completed
C: a3 APPEND Out CATENATE (TEXT {22+}
C: Subject: two parts
C: 
C:  URL "imap://alice@localhost/INBOX;UIDVALIDITY=` + uidv + `/;UID=1/;SECTION=TEXT")
S: a3 OK [APPENDUID {*} 2] APPEND completed
`)
	c.until("a4", "SELECT INBOX")
	c.run(`
C: a5 APPEND Out CATENATE (URL ";UID=1/;PARTIAL=39.12" TEXT {2}
S: + Ready for literal data
C: 
C:  URL "/INBOX/;UID=1/;SECTION=1/;PARTIAL=12") CATENATE (URL "/INBOX/;UID=1")
S: a5 OK [APPENDUID {*} 3:4] APPEND completed
`)
	// RFC 3501 2.3.2: the first session to see the new messages sees
	// them \Recent, EXAMINE too.
	c.until("a6", "EXAMINE Out")
	c.run(`
C: a7 FETCH 1:4 (FLAGS BODY.PEEK[])
S: * 1 FETCH (FLAGS (\Seen \Recent) BODY[] {49}
S: From: a@example.org
S: Subject: parts
S: 
S: new body
S: )
S: * 2 FETCH (FLAGS (\Recent) BODY[] {47}
S: Subject: two parts
S: 
S: first line
S: second line
S: )
S: * 3 FETCH (FLAGS (\Recent) BODY[] {27}
S: first line
S: 
S: second line
S: )
S: * 4 FETCH (FLAGS (\Recent) BODY[] {64}
S: From: a@example.org
S: Subject: parts
S: 
S: first line
S: second line
S: )
S: a7 OK FETCH completed
`)
}

// TestCatenateErrors checks the refusals of RFC 4469 5 and 6: a URL that
// names no message gives NO [BADURL url] before any later literal is
// invited, a message over the size limit NO [TOOBIG], a missing mailbox
// NO [TRYCREATE]; nothing is stored, and the session goes on.
func TestCatenateErrors(t *testing.T) {
	ts := startServer(t, func(s *imap.Server) { s.MaxAppendSize = 100 })
	ts.deliver(t, "alice", "INBOX", catMsg)
	ts.deliver(t, "bob", "INBOX", catMsg)
	c := ts.login(t)
	c.run(`
# No message 99: the client waits for "+" and gets the NO instead.
C: a1 APPEND INBOX CATENATE (URL "/INBOX/;UID=99" TEXT {5}
S: a1 NO [BADURL /INBOX/;UID=99] Cannot resolve the URL
# The same with a non-synchronizing literal, which the server skips.
C: a2 APPEND INBOX CATENATE (URL "/INBOX;UIDVALIDITY=1/;UID=1" TEXT {5+}
C: hello)
S: a2 NO [BADURL /INBOX;UIDVALIDITY=1/;UID=1] Cannot resolve the URL
# A bad URL after a TEXT part: the part is read, nothing is stored.
C: a3 APPEND INBOX CATENATE (TEXT {5}
S: + Ready for literal data
C: hello URL "/Nonexistent/;UID=1")
S: a3 NO [BADURL /Nonexistent/;UID=1] Cannot resolve the URL
# Another user's message without URLAUTH.
C: a4 APPEND INBOX CATENATE (URL "imap://bob@localhost/INBOX/;UID=1")
S: a4 NO [BADURL imap://bob@localhost/INBOX/;UID=1] Cannot resolve the URL
# A section the message does not have, and a relative URL with no
# mailbox selected.
C: a5 APPEND INBOX CATENATE (URL "/INBOX/;UID=1/;SECTION=3.1")
S: a5 NO [BADURL /INBOX/;UID=1/;SECTION=3.1] Cannot resolve the URL
C: a6 APPEND INBOX CATENATE (URL ";UID=1")
S: a6 NO [BADURL ;UID=1] Cannot resolve the URL
# The URL part (64 bytes) and the literal would make 104 bytes.
C: a7 APPEND INBOX CATENATE (URL "/INBOX/;UID=1" TEXT {40}
S: a7 NO [TOOBIG] Message too large
C: a8 APPEND INBOX CATENATE (TEXT {40}
S: + Ready for literal data
C: 12345678901234567890123456789012345678
C:  URL "/INBOX/;UID=1")
S: a8 NO [TOOBIG] Message too large
C: a9 APPEND Nonexistent CATENATE (URL "/INBOX/;UID=1")
S: a9 NO [TRYCREATE] No such mailbox
C: a10 APPEND Nonexistent CATENATE (TEXT {5}
S: a10 NO [TRYCREATE] No such mailbox
# Syntax.
C: a11 APPEND INBOX CATENATE ()
S: a11 BAD Empty CATENATE
C: a12 APPEND INBOX CATENATE (BODY "x")
S: a12 BAD Expected TEXT or URL in CATENATE
C: a13 APPEND INBOX CATENATE (URL "/INBOX/;UID=1"
S: a13 BAD Missing space
# MULTIAPPEND is all or none: the first message is removed again.
C: a14 APPEND INBOX CATENATE (URL "/INBOX/;UID=1") CATENATE (URL "/INBOX/;UID=7")
S: a14 NO [BADURL /INBOX/;UID=7] Cannot resolve the URL
C: a15 STATUS INBOX (MESSAGES)
S: * STATUS INBOX (MESSAGES 1)
S: a15 OK STATUS completed
`)
}

// TestCatenateBinaryAndUTF8 takes TEXT parts as literal8 (RFC 3516 with
// RFC 4469) and as UTF8 data (RFC 6855 4).
func TestCatenateBinaryAndUTF8(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.login(t)
	c.run(`
C: a1 APPEND INBOX CATENATE (TEXT ~{12}
S: + Ready for literal data
C: Subject: x
C:  UTF8 (~{6}
S: + Ready for literal data
C: 
C: ok
C: ))
S: a1 OK [APPENDUID {*} 1] APPEND completed
`)
	c.until("a2", "SELECT INBOX")
	c.run(`
C: a3 FETCH 1 BODY.PEEK[]
S: * 1 FETCH (BODY[] {18}
S: Subject: x
S: 
S: ok
S: )
S: a3 OK FETCH completed
`)
}
