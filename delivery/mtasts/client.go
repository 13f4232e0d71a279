package mtasts

import (
	"cmp"
	"context"
	"crypto/x509"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Resolver is the DNS a Client asks: TXT for the _mta-sts record, A and
// AAAA for the policy host. delivery/spf's DNS implements it.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupA(ctx context.Context, name string) ([]netip.Addr, error)
	LookupAAAA(ctx context.Context, name string) ([]netip.Addr, error)
}

// Client defaults.
const (
	DefaultMaxDomains      = 10000
	DefaultRefreshInterval = time.Hour
	// refreshAge is the age after which Refresh fetches a cached policy
	// again, well before a usual max_age (a week or more) runs out.
	refreshAge = 24 * time.Hour
)

// Client finds the MTA-STS policy of destination domains and caches
// them (RFC 8461 5.1). It is safe for concurrent use; set the fields
// before the first lookup.
type Client struct {
	// Resolver looks up the _mta-sts records and the policy hosts.
	// Required.
	Resolver Resolver
	// RootCAs verify the policy servers' certificates; nil means the
	// system roots.
	RootCAs *x509.CertPool
	// Port is the port of the policy servers: 443 (zero) except in tests.
	Port int
	// FetchTimeout bounds one policy fetch; zero means
	// DefaultFetchTimeout.
	FetchTimeout time.Duration
	// MaxDomains bounds the cache; zero means DefaultMaxDomains.
	MaxDomains int
	// RefreshInterval is how often Run refreshes the cache; zero means
	// DefaultRefreshInterval.
	RefreshInterval time.Duration
	// Logger receives refresh failures; nil means slog.Default().
	Logger *slog.Logger
	// OnUpdate, if set, is called after a policy was fetched into the
	// cache, so that the cache can be saved (Save) to survive a restart.
	// It may be called from several goroutines at once.
	OnUpdate func()

	clientOnce sync.Once
	client     *http.Client

	mu    sync.Mutex
	cache map[string]*entry
}

// entry is a cached policy.
type entry struct {
	policy  *Policy
	id      string    // of the record the policy was fetched for
	fetched time.Time // when it was fetched
}

func (e *entry) expires() time.Time { return e.fetched.Add(e.policy.MaxAge) }

// Lookup returns the policy that applies to mail for domain: nil when
// the domain has none. The error, if any, says why a policy could not be
// had (a *FetchError, for TLS-RPT); a cached policy may still come with
// it. RFC 8461 5.1: a valid cached policy whose id matches the current
// record is used as is; it is also used when the record is gone or its
// lookup fails, and when a new policy cannot be fetched.
func (c *Client) Lookup(ctx context.Context, domain string) (*Policy, error) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	now := time.Now()
	cached := c.cached(domain, now)
	rec, recErr := c.record(ctx, domain)
	if cached != nil && (recErr != nil || rec.ID == cached.id) {
		return cached.policy, nil
	}
	if recErr != nil {
		return nil, nil // no record, no cached policy: no MTA-STS
	}
	p, err := c.Fetch(ctx, domain)
	if err != nil {
		if cached != nil {
			return cached.policy, err
		}
		return nil, err
	}
	c.store(domain, &entry{policy: p, id: rec.ID, fetched: now})
	return p, nil
}

// record looks up and picks domain's _mta-sts record.
func (c *Client) record(ctx context.Context, domain string) (*Record, error) {
	txts, err := c.Resolver.LookupTXT(ctx, "_mta-sts."+domain)
	if err != nil {
		return nil, err
	}
	return findRecord(txts)
}

// cached returns domain's unexpired cached policy, or nil.
func (c *Client) cached(domain string, now time.Time) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.cache[domain]
	if e == nil || !now.Before(e.expires()) {
		return nil
	}
	return e
}

// store caches e for domain, and calls OnUpdate.
func (c *Client) store(domain string, e *entry) {
	c.mu.Lock()
	if c.cache == nil {
		c.cache = make(map[string]*entry)
	}
	if _, ok := c.cache[domain]; !ok && len(c.cache) >= cmp.Or(c.MaxDomains, DefaultMaxDomains) {
		c.evictLocked()
	}
	c.cache[domain] = e
	c.mu.Unlock()
	if c.OnUpdate != nil {
		c.OnUpdate()
	}
}

// evictLocked makes room: expired entries go, and if none had expired,
// the one that expires first.
func (c *Client) evictLocked() {
	now := time.Now()
	var first string
	for d, e := range c.cache {
		if !now.Before(e.expires()) {
			delete(c.cache, d)
			first = ""
			continue
		}
		if first == "" || e.expires().Before(c.cache[first].expires()) {
			first = d
		}
	}
	if first != "" && len(c.cache) >= cmp.Or(c.MaxDomains, DefaultMaxDomains) {
		delete(c.cache, first)
	}
}

// Cached returns the cached policy of domain, if any and unexpired.
func (c *Client) Cached(domain string) *Policy {
	if e := c.cached(strings.ToLower(domain), time.Now()); e != nil {
		return e.policy
	}
	return nil
}

// Refresh fetches again the cached policies fetched more than a day ago
// (or more than half their max_age), so that they do not expire while
// the domain still publishes them (RFC 8461 10.2 asks senders to refresh
// proactively). Expired entries are dropped. A policy whose record is
// gone, or that cannot be fetched, stays cached until it expires.
func (c *Client) Refresh(ctx context.Context) {
	now := time.Now()
	type due struct {
		domain string
		e      *entry
	}
	var todo []due
	c.mu.Lock()
	for d, e := range c.cache {
		switch {
		case !now.Before(e.expires()):
			delete(c.cache, d)
		case now.Sub(e.fetched) >= min(refreshAge, e.policy.MaxAge/2):
			todo = append(todo, due{d, e})
		}
	}
	c.mu.Unlock()
	for _, t := range todo {
		if ctx.Err() != nil {
			return
		}
		rec, err := c.record(ctx, t.domain)
		if err != nil {
			continue
		}
		p, err := c.Fetch(ctx, t.domain)
		if err != nil {
			c.logger().Info("mtasts: refreshing a policy failed", "domain", t.domain, "err", err)
			continue
		}
		c.store(t.domain, &entry{policy: p, id: rec.ID, fetched: time.Now()})
	}
}

// Run refreshes the cache every RefreshInterval until ctx is done, and
// returns ctx's error.
func (c *Client) Run(ctx context.Context) error {
	t := time.NewTicker(cmp.Or(c.RefreshInterval, DefaultRefreshInterval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			c.Refresh(ctx)
		}
	}
}

func (c *Client) logger() *slog.Logger { return cmp.Or(c.Logger, slog.Default()) }
