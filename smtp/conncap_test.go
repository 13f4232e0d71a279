package smtp

import (
	"testing"

	"github.com/mailwright/mailwright/internal/loopback"
)

// One source flooding the server takes its own share of the connection
// slots, not all of them: with the default caps, 127.0.0.2 is refused
// past DefaultMaxConnectionsPerIP while 127.0.0.1 is still greeted.
func TestPerIPCapByDefault(t *testing.T) {
	addr := startServer(t, &Server{Backend: &testBackend{}})
	for range DefaultMaxConnectionsPerIP {
		transcript(t, loopback.Dial(t, "127.0.0.2", addr), `S: 220 *`)
	}
	over := loopback.Dial(t, "127.0.0.2", addr)
	transcript(t, over, `S: 421 4.7.0 Too many connections from your address or network, try again later`)
	expectClosed(t, over)
	transcript(t, loopback.Dial(t, "127.0.0.1", addr), `
		S: 220 *
		C: QUIT
		S: 221 *`)
}

// IPv4PrefixLength makes a network one source: 127.0.0.3 shares the
// slot of 127.0.0.2 in a /24, not with a /32.
func TestPerIPCapPrefix(t *testing.T) {
	for _, tc := range []struct {
		bits int
		want string
	}{
		{0, "220 *"},
		{24, "421 4.7.0 *"},
	} {
		addr := startServer(t, &Server{Backend: &testBackend{}, MaxConnectionsPerIP: 1, IPv4PrefixLength: tc.bits})
		transcript(t, loopback.Dial(t, "127.0.0.2", addr), `S: 220 *`)
		transcript(t, loopback.Dial(t, "127.0.0.3", addr), `S: `+tc.want)
	}
}
