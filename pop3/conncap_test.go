package pop3_test

import (
	"bufio"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/loopback"
	"github.com/mailwright/mailwright/pop3"
)

// dialFrom connects from a loopback address of the test's choosing
// (127.0.0.2, ...).
func dialFrom(t *testing.T, from, addr string) *client {
	t.Helper()
	conn := loopback.Dial(t, from, addr)
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	return &client{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// One source flooding the server is refused past its share while another
// is still greeted, with the default caps.
func TestPerIPCapByDefault(t *testing.T) {
	ts := startServer(t, nil)
	for range pop3.DefaultMaxConnectionsPerIP {
		dialFrom(t, "127.0.0.2", ts.addr).run(`S: +OK POP3 server ready*`)
	}
	dialFrom(t, "127.0.0.2", ts.addr).run(`
		S: -ERR [SYS/TEMP] Too many connections from your address or network, try again later
		S: <closed>`)
	dialFrom(t, "127.0.0.1", ts.addr).run(`
		S: +OK POP3 server ready*
		C: QUIT
		S: +OK Bye`)
}

// IPv4PrefixLength makes a network one source.
func TestPerIPCapPrefix(t *testing.T) {
	ts := startServer(t, func(s *pop3.Server) { s.MaxConnectionsPerIP = 1; s.IPv4PrefixLength = 24 })
	dialFrom(t, "127.0.0.2", ts.addr).run(`S: +OK *`)
	dialFrom(t, "127.0.0.3", ts.addr).run(`S: -ERR [SYS/TEMP] *`)
}
