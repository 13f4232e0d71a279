package imap_test

import (
	"bufio"
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/internal/loopback"
)

// dialFrom connects from a loopback address of the test's choosing
// (127.0.0.2, ...), without reading the greeting.
func (ts *testServer) dialFrom(t *testing.T, from string) *client {
	t.Helper()
	nc := loopback.Dial(t, from, ts.addr)
	return &client{t: t, conn: nc, r: bufio.NewReader(nc)}
}

// One source flooding the server is refused past its share while another
// is still greeted, with the default caps.
func TestPerIPCapByDefault(t *testing.T) {
	ts := startServer(t, nil)
	for range imap.DefaultMaxConnectionsPerIP {
		ts.dialFrom(t, "127.0.0.2").run(`S: * OK [CAPABILITY *] IMAP server ready`)
	}
	over := ts.dialFrom(t, "127.0.0.2")
	over.run(`S: * BYE [UNAVAILABLE] Too many connections from your address or network, try again later`)
	over.expectClosed()
	ts.dialFrom(t, "127.0.0.1").run(`
S: * OK [CAPABILITY *] IMAP server ready
C: a LOGOUT
S: * BYE {*}
S: a OK {*}`)
}

// IPv4PrefixLength makes a network one source.
func TestPerIPCapPrefix(t *testing.T) {
	ts := startServer(t, func(s *imap.Server) { s.MaxConnectionsPerIP = 1; s.IPv4PrefixLength = 24 })
	ts.dialFrom(t, "127.0.0.2").run(`S: * OK [CAPABILITY *] IMAP server ready`)
	ts.dialFrom(t, "127.0.0.3").run(`S: * BYE [UNAVAILABLE] {*}`)
}
