package pop3_test

import (
	"io"
	"testing"
)

// Only CRLF ends a command (RFC 1939 3): a bare LF or CR inside a line
// makes it one bad command, so the DELE after it is not run.
func TestBareLineEnds(t *testing.T) {
	ts := startServer(t, nil)
	for _, sep := range []string{"\n", "\r"} {
		c := dial(t, ts.addr)
		c.run(`
			S: +OK *
			C: USER alice
			S: +OK *
			C: PASS secret
			S: +OK Logged in*`)
		io.WriteString(c.conn, "STAT"+sep+"DELE 1\r\n")
		c.run(`
			S: -ERR Bare CR or LF in a command line; lines end with CRLF
			C: QUIT
			S: +OK*`)
	}
}
