package imap_test

import "testing"

// Over the wire: the LF inside the quoted name does not end the line, so
// the LOGOUT after it is not run; the whole line gets one BAD.
func TestBareLineEndsSession(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.login(t)
	c.sendRaw("a SELECT \"x\nb LOGOUT\nc\"\r\n")
	c.run(`
S: a BAD Bare CR or LF in a command line; lines end with CRLF
C: d NOOP
S: d OK {*}`)
}
