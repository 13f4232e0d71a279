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

// errDNSNotFound reports NXDOMAIN.
var errDNSNotFound = errors.New("domain not found")

// mxTarget is one host to try for a domain, in order.
type mxTarget struct {
	host  string // name, for TLS and logs
	addrs []netip.Addr
}

// route finds where mail for domain goes (RFC 5321 5.1): the MX hosts in
// order of preference, shuffled among equals; the domain itself when it
// has no MX; nothing when it has a null MX (RFC 7505). Addresses are
// looked up lazily by the caller through resolveHost. A non-nil Result is
// the verdict for the whole delivery.
func (r *Remote) route(ctx context.Context, domain string) ([]string, *queue.Result) {
	if !isASCII(domain) {
		// Internationalized domains need their A-label (RFC 5890), which
		// needs IDNA tables this package does not carry.
		res := queue.PermFail(0, "5.1.2", "internationalized domain names are not supported: "+domain, "")
		return nil, &res
	}
	if ip, ok := addressLiteral(domain); ok {
		return []string{ip.String()}, nil // RFC 5321 4.1.3
	}
	resp, err := r.query(ctx, domain, dns.TypeMX)
	switch {
	case errors.Is(err, errDNSNotFound):
		res := queue.PermFail(0, "5.1.2", "domain "+domain+" not found (NXDOMAIN)", "")
		return nil, &res
	case err != nil:
		res := queue.TempFail(0, "4.4.3", "MX lookup for "+domain+": "+err.Error(), "")
		return nil, &res
	}
	var mxs []*dns.MX
	for _, rr := range resp.Answer {
		if mx, ok := rr.(*dns.MX); ok {
			mxs = append(mxs, mx)
		}
	}
	if len(mxs) == 1 && mxs[0].Mx == "." {
		// RFC 7505 3: a single MX of "." says the domain takes no mail.
		res := queue.PermFail(556, "5.1.10", "domain "+domain+" does not accept mail (null MX)", "")
		return nil, &res
	}
	if len(mxs) == 0 {
		// RFC 5321 5.1: no MX, the domain itself is the implicit MX.
		return []string{domain}, nil
	}
	// Shuffle, then sort stably: equal preferences stay in random order,
	// so that load spreads over them (RFC 5321 5.1).
	rand.Shuffle(len(mxs), func(i, j int) { mxs[i], mxs[j] = mxs[j], mxs[i] })
	slices.SortStableFunc(mxs, func(a, b *dns.MX) int { return cmp.Compare(a.Preference, b.Preference) })
	hosts := make([]string, 0, min(len(mxs), maxMXHosts))
	for _, mx := range mxs {
		if mx.Mx == "." || len(hosts) == maxMXHosts {
			continue // a null MX among others is ignored (RFC 7505 3)
		}
		hosts = append(hosts, strings.TrimSuffix(mx.Mx, "."))
	}
	return hosts, nil
}

// resolveHost returns the addresses of host, IPv4 first (loopback and
// many networks lack IPv6 routes), then IPv6.
func (r *Remote) resolveHost(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	var addrs []netip.Addr
	var errs []error
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		resp, err := r.query(ctx, host, qtype)
		if err != nil {
			errs = append(errs, err)
			continue
		}
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
			return nil, errDNSNotFound
		}
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return nil, fmt.Errorf("%s has no address", host)
	}
	return addrs, nil
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

// dnsServers returns the servers to ask: DNSServer, or those of
// /etc/resolv.conf (read once).
func (r *Remote) dnsServers() ([]string, error) {
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

// query asks the servers in turn for name's records of qtype, over UDP
// and again over TCP when the answer is truncated. NXDOMAIN is
// errDNSNotFound; an answer without records of the type is not an error.
func (r *Remote) query(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	servers, err := r.dnsServers()
	if err != nil {
		return nil, err
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
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
			return nil, errDNSNotFound
		}
		last = fmt.Errorf("DNS server %s answered %s", srv, dns.RcodeToString[resp.Rcode])
	}
	return nil, last
}
