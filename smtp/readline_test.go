package smtp

import (
	"io"
	"testing"
)

// A bare LF inside a command line does not end it: the whole line up to
// CRLF is one bad command with one reply, not two commands (the MAIL is
// not taken, so RCPT finds no transaction). A bare CR likewise.
func TestBareLineEndsInCommands(t *testing.T) {
	addr := startServer(t, &Server{Backend: &testBackend{}})
	for _, sep := range []string{"\n", "\r", "\n\n"} {
		conn := dial(t, addr)
		transcript(t, conn, `
			S: 220 *
			C: HELO c
			S: 250 *`)
		io.WriteString(conn, "MAIL FROM:<a@example.org>"+sep+"RCPT TO:<b@example.org>\r\n")
		transcript(t, conn, `
			S: 500 5.5.2 NUL, bare CR or bare LF not allowed in commands
			C: RCPT TO:<b@example.org>
			S: 503 5.5.1 Need MAIL before RCPT
			C: QUIT
			S: 221 *`)
	}
}
