package queue

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// Summary describes a queued message for List.
type Summary struct {
	ID      string
	From    string
	Arrival time.Time
	Size    int64
	// Recipients is the number of recipients; Pending of those not yet
	// delivered nor failed.
	Recipients int
	Pending    int
	// Domains are the destinations of the pending recipients.
	Domains []string
	// NextAttempt is the earliest next attempt of a pending recipient.
	NextAttempt time.Time
	// LastResult is the most recent attempt result, if any.
	LastResult *Result
}

// List returns a summary of every queued message, oldest first.
func (q *Queue) List() []Summary {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]Summary, 0, len(q.msgs))
	for _, e := range q.msgs {
		m := e.msg
		s := Summary{ID: m.ID, From: m.From, Arrival: m.Arrival, Size: m.Size, Recipients: len(m.Recipients)}
		for _, r := range m.Recipients {
			if !r.State.Final() {
				s.Pending++
				if !slices.Contains(s.Domains, r.Domain()) {
					s.Domains = append(s.Domains, r.Domain())
				}
				if s.NextAttempt.IsZero() || r.NextAttempt.Before(s.NextAttempt) {
					s.NextAttempt = r.NextAttempt
				}
			}
		}
		if n := len(m.History); n > 0 {
			res := m.History[n-1].Result
			s.LastResult = &res
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Arrival.Equal(out[j].Arrival) {
			return out[i].Arrival.Before(out[j].Arrival)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Len returns the number of queued messages.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.msgs)
}

// Get returns a copy of the full state of a queued message.
func (q *Queue) Get(id string) (*Message, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	e := q.msgs[id]
	if e == nil {
		return nil, ErrNotFound
	}
	return e.msg.clone(), nil
}

// OpenBody opens the body of a queued message for reading.
func (q *Queue) OpenBody(id string) (io.ReadCloser, error) {
	q.mu.Lock()
	_, ok := q.msgs[id]
	q.mu.Unlock()
	if !ok || !validID(id) {
		return nil, ErrNotFound
	}
	return q.store.openBody(id)
}

// Corrupt lists what was set aside in the corrupt/ subdirectory: the
// records and envelopes Open found unusable this time, with the reason,
// and those already there.
func (q *Queue) Corrupt() []CorruptMessage {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.corrupt)
}

// RetryNow makes the pending recipients of a message due at once.
func (q *Queue) RetryNow(id string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closing {
		return ErrClosed
	}
	e := q.msgs[id]
	if e == nil {
		return ErrNotFound
	}
	q.retryLocked(e, "")
	return nil
}

// RetryAll makes every pending recipient due at once and returns the
// number of messages concerned.
func (q *Queue) RetryAll() int { return q.RetryDomain("") }

// RetryDomain makes the pending recipients at domain due at once (all of
// them if domain is empty) and returns the number of messages concerned.
func (q *Queue) RetryDomain(domain string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closing {
		return 0
	}
	n := 0
	for _, e := range q.msgs {
		if q.retryLocked(e, domain) {
			n++
		}
	}
	return n
}

func (q *Queue) retryLocked(e *entry, domain string) bool {
	now := time.Now()
	found := false
	for i := range e.msg.Recipients {
		r := &e.msg.Recipients[i]
		if r.State.Final() || (domain != "" && r.Domain() != strings.ToLower(domain)) {
			continue
		}
		found = true
		if r.NextAttempt.After(now) {
			r.NextAttempt = now
			e.dirty = true // saved by process, or by Close before Start
		}
	}
	e.reportAt = time.Time{}
	if found {
		q.spawnProcessLocked(e)
	}
	return found
}

// Bounce gives up on a message now: its pending recipients fail with
// "5.0.0 delivery cancelled" and the sender gets a failure DSN (as NOTIFY
// allows). Recipients with an attempt in flight fail when it ends, unless
// it delivered them.
func (q *Queue) Bounce(id string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closing {
		return ErrClosed
	}
	e := q.msgs[id]
	if e == nil {
		return ErrNotFound
	}
	e.bounceNow = true
	for i := range e.msg.Recipients {
		r := &e.msg.Recipients[i]
		if r.State.Final() || e.inflight[r.Domain()] {
			continue
		}
		r.State = StateFailed
		r.Result = &Result{Status: StatusPermanent, EnhancedCode: "5.0.0", Message: "delivery cancelled by the postmaster"}
		e.dirty = true
	}
	e.reportAt = time.Time{}
	q.spawnProcessLocked(e)
	return nil
}

// Remove deletes a message from the queue without any notification. An
// attempt in flight is not stopped, but its results are ignored. The
// removal is on disk when Remove returns: the message does not come back
// after a crash (a delivered message may, see the package doc).
func (q *Queue) Remove(id string) error {
	q.mu.Lock()
	if q.closing {
		q.mu.Unlock()
		return ErrClosed
	}
	e := q.msgs[id]
	if e == nil {
		q.mu.Unlock()
		return ErrNotFound
	}
	e.removed = true
	delete(q.msgs, id)
	m := e.msg
	rcpts := make([]string, 0, len(m.Recipients))
	for _, r := range m.Recipients {
		if !r.State.Final() {
			rcpts = append(rcpts, r.Address)
		}
	}
	q.mu.Unlock()
	// Wait for a save of this message in progress, so that it cannot
	// rename the envelope back after the removal.
	e.work.Lock()
	err := q.store.remove(id)
	e.work.Unlock()
	if err != nil {
		return fmt.Errorf("queue: removing %s: %w", id, err)
	}
	q.emit(Event{Kind: EventRemoved, Time: time.Now(), ID: id, From: m.From, Recipients: rcpts})
	return nil
}
