package throttle

import (
	"strings"
	"sync"
	"time"
)

// Defaults of Outbound, used for zero fields.
const (
	DefaultOutboundPerDomain = 60
	DefaultOutboundInterval  = time.Minute
)

// Outbound paces the outbound queue's delivery attempts at each
// destination domain, so that a burst of mail for one domain stays
// within what its servers accept from one sender: at most PerDomain
// attempts per Interval, the first ones at once and the rest spaced
// evenly (one every Interval/PerDomain). Its Wait is a
// queue.Options.DomainRate:
//
//	q, err := queue.Open(dir, queue.Options{DomainRate: (&throttle.Outbound{}).Wait})
//
// The zero value is ready to use with the defaults; set the fields before
// first use. An Outbound is safe for concurrent use.
type Outbound struct {
	// PerDomain is the attempts per Interval at one domain (0:
	// DefaultOutboundPerDomain; negative: no limit).
	PerDomain int
	// Interval is the period of PerDomain (0: DefaultOutboundInterval).
	Interval time.Duration
	// Domains give some domains a rate of their own, by lower-case name
	// (negative: no limit).
	Domains map[string]int
	// MaxEntries bounds the domains counted at once (0:
	// DefaultMaxEntries).
	MaxEntries int

	once    sync.Once
	mu      sync.Mutex
	keys    keys
	domains *table[int64] // the next free slot of a domain (UnixNano)
}

// Wait reports how long an attempt at domain must wait from now; when
// it returns 0 the attempt is counted.
func (o *Outbound) Wait(domain string, now time.Time) time.Duration {
	domain = strings.ToLower(domain)
	n := o.PerDomain
	if r, ok := o.Domains[domain]; ok {
		n = r
	}
	switch {
	case n < 0:
		return 0
	case n == 0:
		n = DefaultOutboundPerDomain
	}
	o.once.Do(func() {
		o.keys = newKeys()
		o.domains = newTable(o.MaxEntries, func(next int64, now int64) (keep, last int64) {
			if next <= now {
				return 0, next // the domain may go at once: forgetting it changes nothing
			}
			return 1, next
		})
	})
	key, _ := o.keys.account(domain)
	interval := int64(orDefault(o.Interval, DefaultOutboundInterval))
	slot := interval / int64(n)
	t := now.UnixNano()
	o.mu.Lock()
	defer o.mu.Unlock()
	// The generic cell rate algorithm: next is when the domain's
	// schedule is free again; up to n attempts may be booked ahead of it.
	next := max(o.domains.m[key], t)
	if early := next - t - (interval - slot); early > 0 {
		return time.Duration(early)
	}
	o.domains.put(key, next+slot, t)
	return 0
}
