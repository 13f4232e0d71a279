package imaptest_test

import (
	"testing"

	"github.com/mailwright/mailwright/imap/imaptest"
)

// BenchmarkDeliver measures Deliver to an auto-created user (the name is
// canonicalized on each call).
func BenchmarkDeliver(b *testing.B) {
	srv := imaptest.NewUnstartedServer(b)
	raw := []byte("From: a@example.org\r\nSubject: bench\r\n\r\nbody\r\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if err := srv.Deliver("bob", raw); err != nil {
			b.Fatal(err)
		}
	}
}
