package queue

import (
	"container/heap"
	"time"
)

// domainPacedLocked asks Options.DomainRate whether an attempt at domain
// d may start now. If not, it sets a wake-up for when it may: a timer
// that names no message, which the scheduler pops as stale and then
// dispatches the ready jobs again. q.mu is held.
func (q *Queue) domainPacedLocked(d string) bool {
	if q.opts.DomainRate == nil {
		return false
	}
	now := time.Now()
	wait := q.opts.DomainRate(d, now)
	if wait <= 0 {
		return false
	}
	if when := now.Add(wait); q.rateWake.IsZero() || !q.rateWake.After(now) || when.Before(q.rateWake) {
		q.rateWake = when
		heap.Push(&q.timers, timerItem{when: when})
	}
	return true
}
