package delivery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mailwright/mailwright/queue"
	"github.com/miekg/dns"
)

// DefaultResolvConf is where Remote reads its DNS servers from when
// Remote.DNSServer is empty.
const DefaultResolvConf = "/etc/resolv.conf"

// Lookup limits: Postfix tries at most 5 addresses per delivery
// (smtp_mx_address_limit); a few more does no harm.
const (
	maxMXHosts   = 10
	maxAddresses = 10
)

// Lookup results that are answers, not failures: NXDOMAIN, and a host
// that exists without an address.
var (
	errDNSNotFound = errors.New("domain not found")
	errNoAddress   = errors.New("no address")
)

// mxTarget is one host to try for a domain, in order.
type mxTarget struct {
	host  string // name, for TLS and logs
	addrs []netip.Addr
}

// route finds where mail for domain goes (RFC 5321 5.1): the MX hosts in
// order of preference, shuffled among equals; the domain itself when it
// has no MX; nothing when it has a null MX (RFC 7505). Addresses are
// looked up lazily by the caller through resolveHost. implicit is set
// when the domain has no MX; secure when the MX answer was authenticated
// by the trusted resolver (DANE). A non-nil Result is the verdict for the
// whole delivery.
func (r *Remote) route(ctx context.Context, domain string) (hosts []string, implicit, secure bool, res *queue.Result) {
	if !isASCII(domain) {
		// Internationalized domains need their A-label (RFC 5890), which
		// needs IDNA tables this package does not carry.
		res := queue.PermFail(0, "5.1.2", "internationalized domain names are not supported: "+domain, "")
		return nil, false, false, &res
	}
	if ip, ok := addressLiteral(domain); ok {
		return []string{ip.String()}, false, false, nil // RFC 5321 4.1.3
	}
	resp, err := r.query(ctx, domain, dns.TypeMX)
	switch {
	case errors.Is(err, errDNSNotFound):
		res := queue.PermFail(0, "5.1.2", "domain "+domain+" not found (NXDOMAIN)", "")
		return nil, false, false, &res
	case err != nil:
		res := queue.TempFail(0, "4.4.3", "MX lookup for "+domain+": "+err.Error(), "")
		return nil, false, false, &res
	}
	secure = r.authenticated(resp)
	var mxs []*dns.MX
	for _, rr := range resp.Answer {
		if mx, ok := rr.(*dns.MX); ok {
			mxs = append(mxs, mx)
		}
	}
	if len(mxs) == 1 && mxs[0].Mx == "." {
		// RFC 7505 3: a single MX of "." says the domain takes no mail.
		res := queue.PermFail(556, "5.1.10", "domain "+domain+" does not accept mail (null MX)", "")
		return nil, false, false, &res
	}
	if len(mxs) == 0 {
		// RFC 5321 5.1: no MX, the domain itself is the implicit MX.
		return []string{domain}, true, secure, nil
	}
	// Shuffle, then sort stably: equal preferences stay in random order,
	// so that load spreads over them (RFC 5321 5.1).
	rand.Shuffle(len(mxs), func(i, j int) { mxs[i], mxs[j] = mxs[j], mxs[i] })
	slices.SortStableFunc(mxs, func(a, b *dns.MX) int { return cmp.Compare(a.Preference, b.Preference) })
	hosts = make([]string, 0, min(len(mxs), maxMXHosts))
	for _, mx := range mxs {
		if mx.Mx == "." || len(hosts) == maxMXHosts {
			continue // a null MX among others is ignored (RFC 7505 3)
		}
		hosts = append(hosts, strings.TrimSuffix(mx.Mx, "."))
	}
	return hosts, false, secure, nil
}

// authenticated reports whether resp is a DNSSEC-validated answer from
// the resolver the operator trusts (RFC 7672 2.1): only with
// DANEResolver set does the AD bit mean anything.
func (r *Remote) authenticated(resp *dns.Msg) bool {
	return r.DANEResolver != "" && resp != nil && resp.AuthenticatedData
}

// resolveHost returns the addresses of host, IPv4 first (loopback and
// many networks lack IPv6 routes), then IPv6. secure is set when every
// answer was authenticated (RFC 7672 2.2.2: DANE applies only then).
func (r *Remote) resolveHost(ctx context.Context, host string) (addrs []netip.Addr, secure bool, err error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, false, nil
	}
	var errs []error
	secure = true
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		resp, err := r.query(ctx, host, qtype)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		secure = secure && r.authenticated(resp)
		for _, rr := range resp.Answer {
			var ip netip.Addr
			switch rr := rr.(type) {
			case *dns.A:
				ip, _ = netip.AddrFromSlice(rr.A.To4())
			case *dns.AAAA:
				ip, _ = netip.AddrFromSlice(rr.AAAA)
			}
			if ip.IsValid() && len(addrs) < maxAddresses {
				addrs = append(addrs, ip)
			}
		}
	}
	if len(addrs) == 0 {
		if len(errs) == 2 && errors.Is(errs[0], errDNSNotFound) && errors.Is(errs[1], errDNSNotFound) {
			return nil, false, errDNSNotFound
		}
		if len(errs) > 0 {
			return nil, false, errors.Join(errs...)
		}
		return nil, false, fmt.Errorf("%s: %w", host, errNoAddress)
	}
	return addrs, secure, nil
}

// addressLiteral parses a domain that is an address literal: [192.0.2.1]
// or [IPv6:2001:db8::1] (RFC 5321 4.1.3).
func addressLiteral(domain string) (netip.Addr, bool) {
	if len(domain) < 3 || domain[0] != '[' || domain[len(domain)-1] != ']' {
		return netip.Addr{}, false
	}
	s := domain[1 : len(domain)-1]
	if len(s) > 5 && strings.EqualFold(s[:5], "IPv6:") {
		s = s[5:]
	}
	ip, err := netip.ParseAddr(s)
	return ip, err == nil
}

// dnsServers returns the servers to ask: DANEResolver, DNSServer, or
// those of /etc/resolv.conf (read once).
func (r *Remote) dnsServers() ([]string, error) {
	if r.DANEResolver != "" {
		return []string{r.DANEResolver}, nil
	}
	if r.DNSServer != "" {
		return []string{r.DNSServer}, nil
	}
	r.resolvOnce.Do(func() {
		cfg, err := dns.ClientConfigFromFile(DefaultResolvConf)
		if err != nil {
			r.resolvErr = err
			return
		}
		for _, s := range cfg.Servers {
			r.resolvServers = append(r.resolvServers, net.JoinHostPort(s, cfg.Port))
		}
		if len(r.resolvServers) == 0 {
			r.resolvErr = errors.New("no nameserver in " + DefaultResolvConf)
		}
	})
	return r.resolvServers, r.resolvErr
}

// DNS cache bounds. Answers are kept for their TTL, at most
// maxCacheTTL; negative answers (NXDOMAIN, no records of the type) for
// negativeTTL (RFC 2308 would take the SOA minimum; a short fixed time
// keeps it simple). The cache is cleared when it reaches maxCacheEntries.
const (
	maxCacheTTL     = time.Hour
	negativeTTL     = time.Minute
	maxCacheEntries = 10000
)

type dnsKey struct {
	name  string
	qtype uint16
}

type dnsEntry struct {
	resp    *dns.Msg
	nx      bool // NXDOMAIN
	expires time.Time
}

// query answers from the cache, or asks the DNS and caches the answer.
// NXDOMAIN is errDNSNotFound, returned with the answer (whose AD bit
// DANE reads). The returned message must not be modified.
func (r *Remote) query(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	key := dnsKey{strings.ToLower(dns.Fqdn(name)), qtype}
	now := time.Now()
	r.dnsMu.Lock()
	e, ok := r.dnsCache[key]
	r.dnsMu.Unlock()
	if ok && now.Before(e.expires) {
		if e.nx {
			return e.resp, errDNSNotFound
		}
		return e.resp, nil
	}
	resp, err := r.exchange(ctx, name, qtype)
	switch {
	case err == nil:
		ttl := maxCacheTTL
		for _, rr := range resp.Answer {
			ttl = min(ttl, time.Duration(rr.Header().Ttl)*time.Second)
		}
		if len(resp.Answer) == 0 {
			ttl = negativeTTL
		}
		e = dnsEntry{resp: resp, expires: now.Add(ttl)}
	case errors.Is(err, errDNSNotFound):
		e = dnsEntry{resp: resp, nx: true, expires: now.Add(negativeTTL)}
	default:
		return nil, err // failures are not cached: the next attempt asks again
	}
	r.dnsMu.Lock()
	if r.dnsCache == nil || len(r.dnsCache) >= maxCacheEntries {
		r.dnsCache = make(map[dnsKey]dnsEntry)
	}
	r.dnsCache[key] = e
	r.dnsMu.Unlock()
	return resp, err
}

// exchange asks the servers in turn for name's records of qtype, over UDP
// and again over TCP when the answer is truncated. NXDOMAIN is
// errDNSNotFound; an answer without records of the type is not an error.
func (r *Remote) exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	servers, err := r.dnsServers()
	if err != nil {
		return nil, err
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	// RFC 6840 5.7: ask a validating resolver to say (AD) whether it
	// authenticated the answer.
	m.AuthenticatedData = true
	m.SetEdns0(1232, false) // the DNS flag day 2020 size: no IP fragmentation
	timeout := r.DNSTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
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
			last = err
			if ctx.Err() != nil {
				break
			}
			continue
		}
		switch resp.Rcode {
		case dns.RcodeSuccess:
			return resp, nil
		case dns.RcodeNameError:
			return resp, errDNSNotFound
		}
		last = fmt.Errorf("DNS server %s answered %s", srv, dns.RcodeToString[resp.Rcode])
	}
	return nil, last
}

// queryDANE is query in the terms of dane.Resolver: the answer for
// NOERROR and NXDOMAIN alike.
func (r *Remote) queryDANE(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	resp, err := r.query(ctx, name, qtype)
	if errors.Is(err, errDNSNotFound) && resp != nil {
		return resp, nil
	}
	return resp, err
}
