package queue

import (
	"container/heap"
	"context"
	"io"
	"time"
)

// kick wakes the scheduler, after a change of state it must look at (a
// new message, a free slot for an attempt). A kick while the scheduler is
// busy waits in kickC, so that none is lost.
func (q *Queue) kick() {
	select {
	case q.kickC <- struct{}{}:
	default:
	}
}

// loop is the scheduler: it turns due timers into processing and ready
// jobs into attempts, within the concurrency limits.
func (q *Queue) loop() {
	defer q.loopWG.Done()
	for {
		q.mu.Lock()
		now := time.Now()
		for len(q.timers) > 0 && !q.timers[0].when.After(now) {
			t := heap.Pop(&q.timers).(timerItem)
			e := q.msgs[t.id]
			if e == nil || !e.wake.Equal(t.when) {
				continue // stale: the message is gone or was rescheduled
			}
			e.wake = time.Time{}
			q.spawnProcessLocked(e)
		}
		q.dispatchLocked()
		var tc <-chan time.Time
		var timer *time.Timer
		if len(q.timers) > 0 {
			timer = time.NewTimer(q.timers[0].when.Sub(now))
			tc = timer.C
		}
		q.mu.Unlock()
		select {
		case <-q.kickC:
		case <-tc:
		case <-q.done:
		}
		if timer != nil {
			timer.Stop()
		}
		q.mu.Lock()
		stop := q.closing
		q.mu.Unlock()
		if stop {
			return
		}
	}
}

// spawnProcessLocked runs process(e) in a tracked goroutine. Before Start
// it sets a timer due now instead, which the scheduler finds when it
// starts. q.mu is held.
func (q *Queue) spawnProcessLocked(e *entry) {
	if q.closing {
		return
	}
	if !q.started {
		e.wake = time.Now()
		heap.Push(&q.timers, timerItem{when: e.wake, id: e.msg.ID})
		return
	}
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		q.process(e)
		q.kick()
	}()
}

// dispatchLocked starts attempts for ready jobs while the limits allow,
// taking domains in turn. q.mu is held.
func (q *Queue) dispatchLocked() {
	for {
		a := q.nextAttemptLocked()
		if a == nil {
			return
		}
		go q.attempt(a)
	}
}

// nextAttemptLocked takes the next ready job that the limits allow,
// taking domains in turn, and returns it as an attempt counted in flight
// for its caller to run, or nil. q.mu is held.
func (q *Queue) nextAttemptLocked() *attemptJob {
	if q.closing || q.opts.Deliverer == nil {
		return nil
	}
	for n := len(q.readyDomains); n > 0 && q.inflight < q.opts.MaxConcurrency; n-- {
		d := q.readyDomains[0]
		q.readyDomains = q.readyDomains[1:]
		if q.domainInflight[d] >= q.opts.MaxPerDomain || q.domainPacedLocked(d) {
			q.readyDomains = append(q.readyDomains, d)
			continue
		}
		ids := q.ready[d]
		id := ids[0]
		if len(ids) == 1 {
			delete(q.ready, d)
		} else {
			q.ready[d] = ids[1:]
			q.readyDomains = append(q.readyDomains, d)
		}
		if a := q.prepareAttemptLocked(id, d); a != nil {
			return a
		}
	}
	return nil
}

// attemptJob is an attempt for the recipients idx of message e at domain d.
type attemptJob struct {
	e   *entry
	d   string
	idx []int
	dl  *Delivery
}

// prepareAttemptLocked makes an attempt for the recipients of message id
// at domain d that are not final, and counts it in flight. q.mu is held.
func (q *Queue) prepareAttemptLocked(id, d string) *attemptJob {
	e := q.msgs[id]
	if e == nil {
		return nil
	}
	delete(e.queued, d)
	var idx []int
	for i, r := range e.msg.Recipients {
		if !r.State.Final() && r.Domain() == d {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 || e.inflight[d] {
		return nil
	}
	m := e.msg
	dl := &Delivery{
		ID:         m.ID,
		From:       m.From,
		Return:     m.Return,
		EnvelopeID: m.EnvelopeID,
		UTF8:       m.UTF8,
		BodyType:   m.BodyType,
		Domain:     d,
		Size:       m.Size,
	}
	for _, i := range idx {
		r := m.Recipients[i]
		dl.Recipients = append(dl.Recipients, cloneRecipient(r.Recipient))
		dl.Attempt = max(dl.Attempt, r.Attempts+1)
	}
	dl.open = func() (io.ReadCloser, error) { return q.store.openBody(id) }
	e.inflight[d] = true
	q.inflight++
	q.domainInflight[d]++
	q.wg.Add(1)
	return &attemptJob{e: e, d: d, idx: idx, dl: dl}
}

// attempt runs one Deliver call and applies its results; then, while jobs
// are ready, it runs the next one itself: a goroutine that has delivered
// a message has the stack for the next, and the scheduler goroutine need
// not wake up between attempts while a backlog drains.
func (q *Queue) attempt(a *attemptJob) {
	for a != nil {
		a = q.attemptOne(a)
	}
}

func (q *Queue) attemptOne(a *attemptJob) (next *attemptJob) {
	defer q.wg.Done()
	e, d, idx, dl := a.e, a.d, a.idx, a.dl
	ctx, cancel := context.WithTimeout(q.ctx, q.opts.AttemptTimeout)
	results := q.callDeliver(ctx, dl)
	cancel()
	now := time.Now()

	q.mu.Lock()
	q.inflight--
	if q.domainInflight[d]--; q.domainInflight[d] <= 0 {
		delete(q.domainInflight, d)
	}
	delete(e.inflight, d)
	var events []Event
	if !e.removed {
		events = q.applyLocked(e, idx, results, now, q.ctx.Err() != nil)
	}
	next = q.nextAttemptLocked()
	q.mu.Unlock()
	for _, ev := range events {
		q.emit(ev)
	}
	if next == nil {
		q.kick() // slots are free
	}
	q.process(e)
	q.kick()
	return next
}

// callDeliver calls the Deliverer, turning a panic into a temporary
// failure of the whole attempt.
func (q *Queue) callDeliver(ctx context.Context, dl *Delivery) (res []Result) {
	defer func() {
		if p := recover(); p != nil {
			q.log.Error("queue: deliverer panicked", "id", dl.ID, "domain", dl.Domain, "panic", p)
			res = []Result{{Status: StatusTemporary, Message: "internal error in delivery"}}
		}
	}()
	return q.opts.Deliverer.Deliver(ctx, dl)
}
