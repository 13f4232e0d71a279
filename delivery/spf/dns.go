package spf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// DefaultResolvConf is where DNS reads its servers from when DNS.Server is
// empty.
const DefaultResolvConf = "/etc/resolv.conf"

// DNS cache bounds: answers are kept for their TTL, at most maxCacheTTL;
// empty answers (NXDOMAIN, NODATA) for negativeTTL; the cache is cleared
// when it reaches maxCacheEntries, so that a flood of distinct names
// cannot grow it without bound.
const (
	maxCacheTTL     = time.Hour
	negativeTTL     = time.Minute
	maxCacheEntries = 10000
	defaultTimeout  = 5 * time.Second
)

// DNS is a caching [Resolver] that asks DNS servers with miekg/dns, the
// resolver that delivery.Remote uses, so that tests and a -resolver flag
// see every lookup. The zero value asks the servers of /etc/resolv.conf.
// It is safe for concurrent use.
type DNS struct {
	// Server is the recursive server to ask ("127.0.0.1:53"); empty means
	// the servers of DefaultResolvConf, in turn.
	Server string
	// Timeout bounds each query; zero means 5 seconds. The context of a
	// lookup bounds it too.
	Timeout time.Duration

	resolvOnce    sync.Once
	resolvServers []string
	resolvErr     error

	mu    sync.Mutex
	cache map[cacheKey]cacheEntry
}

type cacheKey struct {
	name  string
	qtype uint16
}

type cacheEntry struct {
	rrs     []dns.RR
	nx      bool // NXDOMAIN
	expires time.Time
}

// LookupTXT implements Resolver.
func (d *DNS) LookupTXT(ctx context.Context, name string) ([]string, error) {
	rrs, err := d.lookup(ctx, name, dns.TypeTXT)
	var txts []string
	for _, rr := range rrs {
		if t, ok := rr.(*dns.TXT); ok {
			var b strings.Builder
			for _, s := range t.Txt {
				b.WriteString(unescapeTXT(s))
			}
			txts = append(txts, b.String())
		}
	}
	return txts, err
}

// LookupA implements Resolver.
func (d *DNS) LookupA(ctx context.Context, name string) ([]netip.Addr, error) {
	return d.lookupAddrs(ctx, name, dns.TypeA)
}

// LookupAAAA implements Resolver.
func (d *DNS) LookupAAAA(ctx context.Context, name string) ([]netip.Addr, error) {
	return d.lookupAddrs(ctx, name, dns.TypeAAAA)
}

func (d *DNS) lookupAddrs(ctx context.Context, name string, qtype uint16) ([]netip.Addr, error) {
	rrs, err := d.lookup(ctx, name, qtype)
	var addrs []netip.Addr
	for _, rr := range rrs {
		var ip net.IP
		switch rr := rr.(type) {
		case *dns.A:
			ip = rr.A.To4()
		case *dns.AAAA:
			ip = rr.AAAA
		}
		if a, ok := netip.AddrFromSlice(ip); ok {
			addrs = append(addrs, a)
		}
	}
	return addrs, err
}

// LookupMX implements Resolver.
func (d *DNS) LookupMX(ctx context.Context, name string) ([]string, error) {
	rrs, err := d.lookup(ctx, name, dns.TypeMX)
	var hosts []string
	for _, rr := range rrs {
		if mx, ok := rr.(*dns.MX); ok {
			hosts = append(hosts, strings.TrimSuffix(mx.Mx, "."))
		}
	}
	return hosts, err
}

// LookupPTR implements Resolver.
func (d *DNS) LookupPTR(ctx context.Context, addr netip.Addr) ([]string, error) {
	arpa, err := dns.ReverseAddr(addr.Unmap().String())
	if err != nil {
		return nil, err
	}
	rrs, err := d.lookup(ctx, arpa, dns.TypePTR)
	var names []string
	for _, rr := range rrs {
		if p, ok := rr.(*dns.PTR); ok {
			names = append(names, strings.TrimSuffix(p.Ptr, "."))
		}
	}
	return names, err
}

// lookup returns name's records of qtype from the cache or the DNS.
func (d *DNS) lookup(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	fqdn := strings.ToLower(dns.Fqdn(name))
	if _, ok := dns.IsDomainName(fqdn); !ok || len(fqdn) > 254 {
		return nil, fmt.Errorf("%q: %w", name, ErrNoSuchDomain) // a name that cannot exist
	}
	key := cacheKey{fqdn, qtype}
	now := time.Now()
	d.mu.Lock()
	e, ok := d.cache[key]
	d.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		var err error
		e, err = d.exchange(ctx, fqdn, qtype)
		if err != nil {
			return nil, err // failures are not cached: the next check asks again
		}
		e.expires = now.Add(e.ttl())
		d.mu.Lock()
		if d.cache == nil || len(d.cache) >= maxCacheEntries {
			d.cache = make(map[cacheKey]cacheEntry)
		}
		d.cache[key] = e
		d.mu.Unlock()
	}
	if e.nx {
		return nil, fmt.Errorf("%s: %w", strings.TrimSuffix(fqdn, "."), ErrNoSuchDomain)
	}
	return e.rrs, nil
}

// ttl is how long an answer may be cached.
func (e cacheEntry) ttl() time.Duration {
	if len(e.rrs) == 0 {
		return negativeTTL
	}
	ttl := maxCacheTTL
	for _, rr := range e.rrs {
		ttl = min(ttl, time.Duration(rr.Header().Ttl)*time.Second)
	}
	return ttl
}

// exchange asks the servers in turn, over UDP and again over TCP when the
// answer is truncated. It keeps the records of qtype (a recursive server
// puts the CNAMEs it followed before them).
func (d *DNS) exchange(ctx context.Context, fqdn string, qtype uint16) (cacheEntry, error) {
	servers, err := d.servers()
	if err != nil {
		return cacheEntry{}, err
	}
	m := new(dns.Msg)
	m.SetQuestion(fqdn, qtype)
	m.RecursionDesired = true
	m.SetEdns0(1232, false) // the DNS flag day 2020 size: no IP fragmentation
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	var last error
	for _, srv := range servers {
		c := &dns.Client{Net: "udp", Timeout: timeout}
		resp, _, err := c.ExchangeContext(ctx, m, srv)
		if err == nil && resp.Truncated {
			c.Net = "tcp"
			resp, _, err = c.ExchangeContext(ctx, m, srv)
		}
		if err != nil {
			last = fmt.Errorf("DNS %s %s: %w", dns.TypeToString[qtype], fqdn, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		switch resp.Rcode {
		case dns.RcodeSuccess:
			var rrs []dns.RR
			for _, rr := range resp.Answer {
				if rr.Header().Rrtype == qtype {
					rrs = append(rrs, rr)
				}
			}
			return cacheEntry{rrs: rrs}, nil
		case dns.RcodeNameError:
			return cacheEntry{nx: true}, nil
		}
		last = fmt.Errorf("DNS %s %s: server %s answered %s", dns.TypeToString[qtype], fqdn, srv, dns.RcodeToString[resp.Rcode])
	}
	return cacheEntry{}, last
}

// servers returns Server, or the servers of /etc/resolv.conf (read once).
func (d *DNS) servers() ([]string, error) {
	if d.Server != "" {
		return []string{d.Server}, nil
	}
	d.resolvOnce.Do(func() {
		cfg, err := dns.ClientConfigFromFile(DefaultResolvConf)
		if err != nil {
			d.resolvErr = err
			return
		}
		for _, s := range cfg.Servers {
			d.resolvServers = append(d.resolvServers, net.JoinHostPort(s, cfg.Port))
		}
		if len(d.resolvServers) == 0 {
			d.resolvErr = errors.New("no nameserver in " + DefaultResolvConf)
		}
	})
	return d.resolvServers, d.resolvErr
}

// unescapeTXT undoes miekg/dns's presentation format of a
// character-string: \X is X and \DDD is the byte DDD.
func unescapeTXT(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b = append(b, s[i])
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			n := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
			if n < 256 {
				b = append(b, byte(n))
				i += 3
				continue
			}
		}
		b = append(b, s[i+1])
		i++
	}
	return string(b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
