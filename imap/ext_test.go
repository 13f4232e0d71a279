package imap_test

import (
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
