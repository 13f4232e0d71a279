package smtp

import (
	"context"
	"io"
	"runtime"
	"strings"
	"testing"
)

// discardBackend accepts everything and drops the message.
type discardBackend struct{}

func (discardBackend) NewSession(context.Context, *Conn) (Session, error) {
	return discardSession{}, nil
}

type discardSession struct{}

func (discardSession) Mail(context.Context, string, *MailOptions) error { return nil }
func (discardSession) Rcpt(context.Context, string, *RcptOptions) error { return nil }
func (discardSession) Data(_ context.Context, r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (discardSession) Reset(context.Context)        {}
func (discardSession) Logout(context.Context) error { return nil }

// TestLargeMessageMemory sends a 25 MB message through DATA into a backend
// that discards it and checks that the process allocates less than 1 MB
// meanwhile: the message streams through the connection's buffers. The
// client side writes one preallocated block over and over, so whatever is
// allocated is the server's.
func TestLargeMessageMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("25 MB transfer skipped in -short mode")
	}
	addr := startServer(t, &Server{Backend: discardBackend{}, MaxMessageBytes: 64 << 20})
	conn := dial(t, addr)
	transcript(t, conn, `
		S: 220 *
		C: HELO client.test
		S: 250 *
		C: MAIL FROM:<a@example.org>
		S: 250 *
		C: RCPT TO:<b@example.org>
		S: 250 *
		C: DATA
		S: 354 *`)
	block := []byte(strings.Repeat(strings.Repeat("X", 78)+"\r\n", 800)) // 64000 bytes
	const total = 25 << 20

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for sent := 0; sent < total; sent += len(block) {
		if _, err := conn.Write(block); err != nil {
			t.Fatal(err)
		}
	}
	io.WriteString(conn, ".\r\n")
	transcript(t, conn, `S: 250 2.0.0 Message accepted`)
	runtime.ReadMemStats(&after)

	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d bytes while receiving %d MB", allocated, total>>20)
	if allocated >= 1<<20 {
		t.Errorf("allocated %d bytes for a 25 MB message; want < 1 MB", allocated)
	}
}
