// Package fuzzlog holds what the session fuzzers of smtp, pop3 and imap
// share: a slog handler that counts the records in which a server reports
// a recovered panic and keeps the last records (a failing input shows what
// the server said), and a client that sends an input, half-closes and
// reads the output line by line, failing on a line without CRLF and on a
// server that does not end the session.
//
//	rec := &fuzzlog.Recorder{}
//	srv := &imap.Server{Logger: slog.New(rec), ...}
//	f.Fuzz(func(t *testing.T, in []byte) {
//		defer rec.LogIfFailed(t)
//		r := fuzzlog.Converse(t, addr, in)
//		for line, ok := fuzzlog.ReadLine(t, r); ok; line, ok = fuzzlog.ReadLine(t, r) {
//			// check line
//		}
//		rec.FailOnPanics(t)
//	})
package fuzzlog

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// keep is the number of records a Recorder keeps.
const keep = 20

// Recorder is a slog.Handler that counts panics and keeps the last
// records. Its zero value is ready to use; it is safe for concurrent use.
type Recorder struct {
	panics atomic.Int64
	mu     sync.Mutex
	recent []string
}

// Enabled reports true for every level: the fuzzers want debug records too.
func (r *Recorder) Enabled(context.Context, slog.Level) bool { return true }

// Handle counts rec if its message mentions a panic, and keeps it.
func (r *Recorder) Handle(_ context.Context, rec slog.Record) error {
	if strings.Contains(rec.Message, "panic") {
		r.panics.Add(1)
	}
	var b strings.Builder
	b.WriteString(rec.Level.String() + " " + rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.recent) == keep {
		r.recent = r.recent[1:]
	}
	r.recent = append(r.recent, b.String())
	return nil
}

// WithAttrs returns r: attributes added by the servers are not needed.
func (r *Recorder) WithAttrs([]slog.Attr) slog.Handler { return r }

// WithGroup returns r.
func (r *Recorder) WithGroup(string) slog.Handler { return r }

// Panics returns the number of panic records so far.
func (r *Recorder) Panics() int64 { return r.panics.Load() }

// LogIfFailed logs the last records to t if t has failed; defer it at the
// top of a fuzz function.
func (r *Recorder) LogIfFailed(t testing.TB) {
	if !t.Failed() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t.Logf("the server's last log records:\n%s", strings.Join(r.recent, "\n"))
}

// FailOnPanics fails t if the server logged a panic.
func (r *Recorder) FailOnPanics(t testing.TB) {
	if n := r.Panics(); n > 0 {
		t.Fatalf("%d panics in the server", n)
	}
}

// Converse dials the server at addr, sends input, shuts down its sending
// side (as a client that has nothing more to say) and returns a reader of
// the server's output. The connection has a deadline of 10 seconds and is
// closed when the test ends.
func Converse(t testing.TB, addr string, input []byte) *bufio.Reader {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		nc.Write(input)
		nc.(*net.TCPConn).CloseWrite()
	}()
	return bufio.NewReader(nc)
}

// ReadLine returns the next line of the server's output, with its CRLF,
// and false at the end of the output. It fails t if the output ends in a
// line without CRLF or the server is still talking at the deadline; a
// connection the server reset just ends the output.
func ReadLine(t testing.TB, r *bufio.Reader) (string, bool) {
	t.Helper()
	line, err := r.ReadString('\n')
	switch {
	case err == nil:
		if !strings.HasSuffix(line, "\r\n") {
			t.Fatalf("line without CRLF: %q", line)
		}
		return line, true
	case err == io.EOF && line == "":
		return "", false
	case err == io.EOF:
		t.Fatalf("last line without CRLF: %q", line)
	case errors.Is(err, os.ErrDeadlineExceeded):
		t.Fatal("server still talking after 10s")
	}
	return "", false
}
