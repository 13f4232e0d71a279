package queue

import (
	"container/heap"
	"math"
	"time"
)

// applyLocked records the results of an attempt. closing is set when the
// attempt was cut short by Close: its temporary failures are then not
// counted, since the recipients were not really tried. q.mu is held.
func (q *Queue) applyLocked(e *entry, idx []int, results []Result, now time.Time, closing bool) []Event {
	m := e.msg
	expire := m.Arrival.Add(q.opts.MaxAge)
	type group struct {
		res   Result
		rcpts []string
		next  time.Time
	}
	var groups []*group
	for k, i := range idx {
		var res Result
		switch {
		case len(results) == len(idx):
			res = results[k]
		case len(results) == 1:
			res = results[0]
		default:
			res = Result{Status: StatusTemporary, Message: "no result from delivery"}
			if k == 0 {
				q.log.Error("queue: deliverer returned a wrong number of results", "id", m.ID, "want", len(idx), "got", len(results))
			}
		}
		res = res.normalize()
		r := &m.Recipients[i]
		if r.State.Final() {
			continue // bounced by Bounce or expired meanwhile
		}
		if closing && res.Status == StatusTemporary {
			continue
		}
		r.Attempts++
		r.LastAttempt = now
		rr := res
		r.Result = &rr
		switch res.Status {
		case StatusDelivered:
			r.State = StateDelivered
		case StatusPermanent:
			r.State = StateFailed
		default:
			if e.bounceNow || !now.Before(expire) {
				r.State = StateFailed
			} else {
				r.State = StateDeferred
				r.NextAttempt = now.Add(q.retryDelay(r.Attempts))
			}
		}
		e.dirty = true
		var g *group
		for _, x := range groups {
			if x.res == res {
				g = x
			}
		}
		if g == nil {
			g = &group{res: res}
			groups = append(groups, g)
		}
		g.rcpts = append(g.rcpts, r.Address)
		if r.State == StateDeferred {
			g.next = r.NextAttempt
		}
	}
	var events []Event
	for _, g := range groups {
		m.History = append(m.History, Attempt{Time: now, Recipients: g.rcpts, Result: g.res})
		switch g.res.Status {
		case StatusDelivered:
			events = append(events, Event{Kind: EventDelivered, Time: now, ID: m.ID, From: m.From, Recipients: g.rcpts, Result: g.res})
		case StatusTemporary:
			if !g.next.IsZero() {
				events = append(events, Event{Kind: EventDeferred, Time: now, ID: m.ID, From: m.From, Recipients: g.rcpts, Result: g.res, Next: g.next})
			}
		}
	}
	if len(m.History) > maxHistory {
		m.History = append(m.History[:0:0], m.History[len(m.History)-maxHistory:]...)
	}
	return events
}

// retryDelay is the wait after the n-th failed attempt.
func (q *Queue) retryDelay(n int) time.Duration {
	d := q.opts.RetryInterval
	if q.opts.BackoffFactor > 1 && n > 1 {
		f := float64(d) * math.Pow(q.opts.BackoffFactor, float64(n-1))
		if f >= float64(q.opts.MaxRetryInterval) || math.IsInf(f, 0) || math.IsNaN(f) {
			return q.opts.MaxRetryInterval
		}
		d = time.Duration(f)
	}
	return d
}

// process brings a message up to date: it expires recipients past MaxAge,
// sends the DSNs that are due (failure, delay, success), saves the state,
// deletes the message when it is finished, and schedules what comes next.
func (q *Queue) process(e *entry) {
	e.work.Lock()
	events := q.processWork(e)
	e.work.Unlock()
	// Outside e.work, so that OnEvent may call Remove or Bounce.
	for _, ev := range events {
		q.emit(ev)
	}
}

// processWork does the work of process with e.work held and returns the
// events to emit.
func (q *Queue) processWork(e *entry) []Event {
	q.mu.Lock()
	if e.removed {
		q.mu.Unlock()
		return nil
	}
	now := time.Now()
	m := e.msg
	var events []Event
	if !now.Before(m.Arrival.Add(q.opts.MaxAge)) {
		for i := range m.Recipients {
			r := &m.Recipients[i]
			if r.State.Final() || e.inflight[r.Domain()] {
				continue
			}
			// RFC 3463 4.4.7: delivery time expired, a persistent
			// transient failure. The last reply, if any, stays as the
			// diagnostic.
			if r.Result == nil {
				r.Result = &Result{Status: StatusTemporary, EnhancedCode: "4.4.7", Message: "delivery time expired"}
			}
			r.State = StateFailed
			e.dirty = true
		}
	}
	var rep *report
	if len(e.inflight) == 0 && !now.Before(e.reportAt) {
		rep = q.collectReportLocked(e, now)
	}
	q.mu.Unlock()

	if rep != nil {
		var dsnID string
		var err error
		if len(rep.rcpts) > 0 && m.From != "" {
			dsnID, err = q.sendReport(rep)
		}
		q.mu.Lock()
		if err != nil {
			q.log.Error("queue: sending DSN", "id", m.ID, "err", err)
			e.reportAt = now.Add(q.opts.RetryInterval)
		} else {
			events = append(events, rep.markLocked(e, dsnID)...)
			e.dirty = true
			if m.From == "" && len(rep.failed) > 0 {
				q.log.Warn("queue: message from the null sender failed; not bounced", "id", m.ID, "recipients", rep.failed)
			}
		}
		q.mu.Unlock()
	}

	q.mu.Lock()
	finished := len(e.inflight) == 0
	for _, r := range m.Recipients {
		finished = finished && r.State.Final() && r.Reported
	}
	var snap *Message
	if finished {
		e.removed = true
		delete(q.msgs, m.ID)
	} else if e.dirty && !now.Before(e.saveAt) {
		snap = m.clone()
		e.dirty = false
	}
	q.mu.Unlock()

	if finished {
		q.removeC <- m.ID
	} else if snap != nil {
		if err := q.store.save(snap); err != nil {
			q.log.Error("queue: saving message state", "id", m.ID, "err", err)
			q.mu.Lock()
			e.dirty = true
			e.saveAt = now.Add(q.opts.RetryInterval)
			q.mu.Unlock()
		}
	}
	q.mu.Lock()
	q.schedule(e, now)
	q.mu.Unlock()
	return events
}

// schedule queues the domains of e that are due for an attempt and sets
// the timer for what is due next. q.mu is held.
func (q *Queue) schedule(e *entry, now time.Time) {
	if e.removed {
		return
	}
	m := e.msg
	var next time.Time
	later := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	open := false
	unreported := false
	for _, r := range m.Recipients {
		if r.State.Final() {
			unreported = unreported || !r.Reported
			continue
		}
		open = true
		d := r.Domain()
		if e.inflight[d] || e.queued[d] {
			continue
		}
		if r.NextAttempt.After(now) {
			later(r.NextAttempt)
			continue
		}
		e.queued[d] = true
		if _, ok := q.ready[d]; !ok {
			q.readyDomains = append(q.readyDomains, d)
		}
		q.ready[d] = append(q.ready[d], m.ID)
	}
	// Reports and expiry wait for the attempts in flight, whose end
	// processes the message anyway.
	if len(e.inflight) == 0 {
		if open {
			later(m.Arrival.Add(q.opts.MaxAge))
			if !m.DelayWarned && q.opts.DelayWarning > 0 {
				later(maxTime(m.Arrival.Add(q.opts.DelayWarning), e.reportAt))
			}
		}
		if unreported {
			later(maxTime(now, e.reportAt))
		}
		if e.dirty {
			later(maxTime(now, e.saveAt))
		}
	}
	if !next.IsZero() && !next.Equal(e.wake) {
		e.wake = next
		heap.Push(&q.timers, timerItem{when: next, id: m.ID})
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
