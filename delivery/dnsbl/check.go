package dnsbl

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/mailwright/mailwright/delivery/spf"
	"github.com/mailwright/mailwright/internal/safetext"
)

// DefaultTimeout bounds the lookups of a client when Checker.Timeout is 0.
const DefaultTimeout = 3 * time.Second

// maxReason bounds the TXT text kept from a list: it goes into a reply
// and a header field.
const maxReason = 200

// Resolver is the DNS that a Checker asks; spf.Resolver and spf.DNS
// (miekg/dns with a cache, delivery.Remote's resolver) have these
// methods. A name that does not exist must return an error (it means not
// listed, as does any error).
type Resolver interface {
	LookupA(ctx context.Context, name string) ([]netip.Addr, error)
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Checker looks client addresses up in blocklists. Set the fields before
// first use; a Checker is safe for concurrent use.
type Checker struct {
	// Zones are the blocklists, all asked at once.
	Zones []Zone
	// Resolver asks the DNS; nil means a spf.DNS of its own, which asks
	// the servers of /etc/resolv.conf. Lists such as Spamhaus refuse
	// queries from large public resolvers: use a resolver of your own.
	Resolver Resolver
	// Timeout bounds the lookups of one client, from Start (0:
	// DefaultTimeout). A zone that has not answered by then counts as
	// not listed.
	Timeout time.Duration
	// Logger receives lookups that failed (Debug); nil means
	// slog.Default().
	Logger *slog.Logger

	once sync.Once
	dns  Resolver
}

// Listing is a client's listing in one zone.
type Listing struct {
	Zone Zone
	// Code is the zone's answer (127.0.0.2 and up).
	Code netip.Addr
	// Reason is the zone's TXT record, made safe for a reply line and cut
	// to 200 bytes; empty when the zone has none.
	Reason string
}

// Lookup is the lookups of one client address, under way or done.
type Lookup struct {
	ip       netip.Addr
	deadline context.Context // ends at the Checker's Timeout
	done     chan struct{}   // closed when every zone has answered

	mu       sync.Mutex
	listings []Listing
	order    []int // zone index of each listing, for a stable order
}

func (c *Checker) resolver() Resolver {
	if c.Resolver != nil {
		return c.Resolver
	}
	c.once.Do(func() { c.dns = &spf.DNS{} })
	return c.dns
}

func (c *Checker) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// Start begins the lookups of ip in every zone, each in its own
// goroutine, and returns at once. The lookups end at the Timeout, or
// when ctx (the client's connection) ends.
func (c *Checker) Start(ctx context.Context, ip netip.Addr) *Lookup {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	deadline, cancel := context.WithTimeout(ctx, timeout)
	l := &Lookup{ip: ip.Unmap(), deadline: deadline, done: make(chan struct{})}
	var wg sync.WaitGroup
	for i := range c.Zones {
		wg.Go(func() { c.lookup(l, i) })
	}
	go func() {
		wg.Wait()
		cancel()
		close(l.done)
	}()
	return l
}

// lookup asks one zone about l's address.
func (c *Checker) lookup(l *Lookup, i int) {
	z := &c.Zones[i]
	name, err := queryName(l.ip, z.Name)
	if err != nil {
		return
	}
	res := c.resolver()
	addrs, err := res.LookupA(l.deadline, name)
	if err != nil {
		if !errors.Is(err, spf.ErrNoSuchDomain) {
			c.logger().Debug("dnsbl: lookup failed; taken as not listed", "zone", z.Name, "ip", l.ip.String(), "err", err)
		}
		return
	}
	for _, a := range addrs {
		if !z.listedBy(a) {
			continue
		}
		txts, _ := res.LookupTXT(l.deadline, name)
		reason := safetext.Line(strings.Join(txts, "; "))
		if len(reason) > maxReason {
			reason = reason[:maxReason]
		}
		l.mu.Lock()
		l.listings = append(l.listings, Listing{Zone: *z, Code: a.Unmap(), Reason: reason})
		l.order = append(l.order, i)
		l.mu.Unlock()
		return
	}
}

// Wait returns the listings found when every zone has answered, or at
// the Timeout with those found by then, or when ctx ends; in the order of
// the Checker's zones.
func (l *Lookup) Wait(ctx context.Context) []Listing {
	select {
	case <-l.done:
	case <-l.deadline.Done():
	case <-ctx.Done():
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Listing, 0, len(l.listings))
	for zone := 0; len(out) < len(l.listings); zone++ {
		for j, i := range l.order {
			if i == zone {
				out = append(out, l.listings[j])
			}
		}
	}
	return out
}

// Check looks ip up in every zone and returns its listings: Start, then
// Wait.
func (c *Checker) Check(ctx context.Context, ip netip.Addr) []Listing {
	return c.Start(ctx, ip).Wait(ctx)
}
