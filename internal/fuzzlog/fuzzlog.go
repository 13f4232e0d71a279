// Package fuzzlog is a slog handler for the session fuzzers of smtp, pop3
// and imap: it counts the records in which a server reports a recovered
// panic, and keeps the last records so that a failing input can show what
// the server said.
//
//	rec := &fuzzlog.Recorder{}
//	srv := &imap.Server{Logger: slog.New(rec), ...}
//	f.Fuzz(func(t *testing.T, in []byte) {
//		defer rec.LogIfFailed(t)
//		...
//		if n := rec.Panics(); n > 0 {
//			t.Fatalf("%d panics in the server", n)
//		}
//	})
package fuzzlog

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
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
