package testserver

import (
	"context"
	"sync"
)

// Log is a list that grows and can be waited on: the messages an smtptest
// server received, the messages appended to a test store. The zero value
// is empty and ready.
type Log[T any] struct {
	mu      sync.Mutex
	items   []T
	gen     int           // counts Resets, so that a Wait starts again
	changed chan struct{} // closed and replaced when items change
}

// Append adds items at the end and wakes the waiters.
func (l *Log[T]) Append(items ...T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.items = append(l.items, items...)
	l.wake()
}

// Reset empties the log.
func (l *Log[T]) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.items = nil
	l.gen++
	l.wake()
}

func (l *Log[T]) wake() {
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

// Items returns a copy of the items, oldest first.
func (l *Log[T]) Items() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]T(nil), l.items...)
}

// Wait calls found on each item, oldest first, those in the log and those
// appended later, until found returns true (Wait then returns nil) or ctx
// ends (Wait returns ctx's error). found runs without the log's lock, and
// at most once per item (after a Reset, once per item appended since).
func (l *Log[T]) Wait(ctx context.Context, found func(T) bool) error {
	next, gen := 0, 0
	for {
		items, changed := l.since(&next, &gen)
		for _, it := range items {
			if found(it) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// since returns the items from *next on (from the start after a Reset),
// moves *next past them, and returns a channel closed on the next change.
func (l *Log[T]) since(next, gen *int) ([]T, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if *gen != l.gen {
		*next, *gen = 0, l.gen
	}
	items := l.items[*next:]
	*next = len(l.items)
	if l.changed == nil {
		l.changed = make(chan struct{})
	}
	return items, l.changed
}
