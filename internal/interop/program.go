package interop

import (
	"net"
	"testing"
	"time"
)

// FreeAddr returns a loopback address with a port that was free a moment
// ago, for a program under test to listen on.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// WaitListening waits until each of addrs accepts connections, 60 seconds
// at most in all. It fails t when one does not, or when exited (if not
// nil) is closed first: the program under test has ended.
func WaitListening(t testing.TB, exited <-chan struct{}, addrs ...string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, addr := range addrs {
		for {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("nothing listens on %s after 60 s", addr)
			}
			select {
			case <-exited:
				t.Fatalf("the program ended before listening on %s", addr)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}
