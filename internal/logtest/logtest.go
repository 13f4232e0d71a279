// Package logtest records what a server logs, for tests that check a log
// line as an operator sees it: the records are formatted by
// slog.TextHandler, without the time, one per line.
//
//	logger, logs := logtest.New()
//	srv := &imap.Server{Logger: logger, ...}
//	...
//	if !logs.Has(`level=WARN msg="login failed" proto=imap ip=127.0.0.1 user=alice method=LOGIN`) { ... }
package logtest

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// Buffer collects the log lines; it is safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// New returns a logger that records every record, Debug included, and
// the buffer it records into.
func New() (*slog.Logger, *Buffer) {
	b := &Buffer{}
	h := slog.NewTextHandler(b, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{} // dropped: lines compare as text
			}
			return a
		},
	})
	return slog.New(h), b
}

// Write appends p; the handler calls it once per record.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything logged so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Lines returns the lines logged so far, without their newlines.
func (b *Buffer) Lines() []string {
	s := strings.TrimSuffix(b.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// Has reports whether line was logged, as a whole line.
func (b *Buffer) Has(line string) bool { return slices.Contains(b.Lines(), line) }

// Matching returns the lines that contain substr.
func (b *Buffer) Matching(substr string) []string {
	var lines []string
	for _, l := range b.Lines() {
		if strings.Contains(l, substr) {
			lines = append(lines, l)
		}
	}
	return lines
}

// Count returns how many lines contain substr.
func (b *Buffer) Count(substr string) int { return len(b.Matching(substr)) }
