// Package loopback lets a test be several clients at once: it dials a
// server from a chosen loopback address (127.0.0.2, 127.0.0.3, ...; Linux
// routes the whole of 127.0.0.0/8 to the loopback interface), so that
// per-source limits (connection caps, login throttling, rate limits,
// DNSBL listings) can be shown over real sockets.
package loopback

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

// Dial connects to addr from the address from (port chosen by the
// system) and closes the connection when the test ends. It skips the test
// when from cannot be bound (a system without the whole of 127/8).
func Dial(t testing.TB, from, addr string) net.Conn {
	t.Helper()
	c, err := DialErr(from, addr)
	if err != nil {
		if !Usable(from) {
			t.Skipf("cannot dial from %s on this system: %v", from, err)
		}
		t.Fatalf("dial %s from %s: %v", addr, from, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// DialErr connects to addr from the address from, for loops that close
// their connections themselves.
func DialErr(from, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	return d.Dial("tcp", addr)
}

// Usable reports whether a socket can be bound to ip.
func Usable(ip string) bool {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// Addr returns the n-th address of 127.0.0.0/8 after 127.0.0.1, for n
// below 2^24 - 2: Addr(1) is 127.0.0.2.
func Addr(n int) string {
	b := netip.AddrFrom4([4]byte{127, byte((n + 1) >> 16), byte((n + 1) >> 8), byte(n + 1)})
	return b.String()
}
