package spf

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Limits of RFC 7208 4.6.4.
const (
	// maxLookups: the include, a, mx, ptr and exists mechanisms and the
	// redirect modifier that one check may evaluate ("MUST limit ... to 10").
	maxLookups = 10
	// defaultVoidLookups: DNS answers with no records that one check
	// tolerates ("SHOULD limit "void lookups" to two").
	defaultVoidLookups = 2
	// maxMXNames: an mx mechanism whose domain has more MX records is a
	// permerror, since each name costs an address query.
	maxMXNames = 10
	// maxPTRNames: names of the client beyond the first 10 are ignored.
	maxPTRNames = 10
	// defaultCheckTimeout: "at least 20 seconds" for a whole check.
	defaultCheckTimeout = 20 * time.Second
	// maxExplanation bounds the explanation text, which goes into an SMTP
	// reply line (RFC 5321 4.5.3.1.5 limits a reply line to 512 octets).
	maxExplanation = 400
)

// DefaultExplanation is the explanation of a fail when the domain gives
// none (RFC 7208 6.2 leaves it to the receiver).
const DefaultExplanation = "%{c} is not allowed to send mail as %{o}"

// Checker evaluates SPF (RFC 7208 check_host). The zero value asks the DNS
// servers of /etc/resolv.conf through a caching [DNS] of its own. A
// Checker is safe for concurrent use.
type Checker struct {
	// Resolver answers the DNS queries; nil means a DNS of the Checker's own.
	Resolver Resolver
	// Receiver is the receiving host's domain, the %{r} macro of
	// explanations; empty means "unknown" (RFC 7208 7.2).
	Receiver string
	// Timeout bounds a whole check when the context has no earlier
	// deadline; zero means 20 seconds (RFC 7208 4.6.4). Past it the
	// result is temperror.
	Timeout time.Duration
	// VoidLookupLimit is how many lookups may find no records before the
	// result is permerror; zero means 2, as RFC 7208 4.6.4 recommends.
	VoidLookupLimit int
	// Explanation is the macro-string (RFC 7208 7) explaining a fail when
	// the domain has no exp= of its own; empty means DefaultExplanation.
	Explanation string
	// Now gives the %{t} macro; nil means time.Now.
	Now func() time.Time

	once sync.Once
	dns  *DNS
}

// Verdict is the outcome of a check.
type Verdict struct {
	Result Result
	// Domain is the domain whose policy was checked: the MAIL FROM or
	// HELO domain.
	Domain string
	// Explanation is set for Fail: the domain's exp= text, or the
	// Checker's default (RFC 7208 6.2). It comes from the DNS, but holds
	// only printable ASCII.
	Explanation string
	// Mechanism is the directive that decided ("-all", "ip4:192.0.2.0/24",
	// "include:_spf.example.org"), "default" when none matched, or empty.
	Mechanism string
	// Err says what went wrong for TempError and PermError.
	Err error
	// Lookups and VoidLookups count the DNS terms evaluated and the
	// lookups that found nothing (the limits of RFC 7208 4.6.4).
	Lookups, VoidLookups int
}

// CheckMailFrom checks the MAIL FROM identity (RFC 7208 2.4): the domain
// of mailFrom, or of postmaster@helo when the reverse-path is null.
func (c *Checker) CheckMailFrom(ctx context.Context, ip netip.Addr, mailFrom, helo string) Verdict {
	local, domain := splitSender(mailFrom)
	if mailFrom == "" {
		local, domain = "postmaster", helo
	}
	return c.CheckHost(ctx, ip, domain, local+"@"+domain, helo)
}

// CheckHelo checks the HELO identity (RFC 7208 2.3): the result is none
// when helo is an address literal rather than a domain.
func (c *Checker) CheckHelo(ctx context.Context, ip netip.Addr, helo string) Verdict {
	if strings.HasPrefix(helo, "[") {
		return Verdict{Result: None, Domain: helo}
	}
	return c.CheckHost(ctx, ip, helo, "postmaster@"+helo, helo)
}

// CheckHost is check_host(ip, domain, sender) of RFC 7208 4, with helo
// for the %{h} macro.
func (c *Checker) CheckHost(ctx context.Context, ip netip.Addr, domain, sender, helo string) Verdict {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = defaultCheckTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	domain = strings.TrimSuffix(domain, ".")
	local, senderDomain := splitSender(sender)
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	ch := &check{
		Checker:      c,
		resolver:     c.resolver(),
		ip:           ip.Unmap(),
		local:        local,
		senderDomain: senderDomain,
		helo:         helo,
		now:          now(),
		voidLimit:    c.VoidLookupLimit,
	}
	if ch.voidLimit <= 0 {
		ch.voidLimit = defaultVoidLookups
	}
	o := ch.checkHost(ctx, domain, true)
	v := Verdict{Result: o.result, Domain: domain, Mechanism: o.mechanism, Err: o.err, Lookups: ch.lookups, VoidLookups: ch.voids}
	if o.result == Fail {
		v.Explanation = o.explanation
	}
	return v
}

func (c *Checker) resolver() Resolver {
	if c.Resolver != nil {
		return c.Resolver
	}
	c.once.Do(func() { c.dns = &DNS{} })
	return c.dns
}

// splitSender splits local@domain at the last "@". A sender without a
// local part has "postmaster" (RFC 7208 4.3).
func splitSender(sender string) (local, domain string) {
	i := strings.LastIndexByte(sender, '@')
	if i < 0 {
		return "postmaster", strings.TrimSuffix(sender, ".")
	}
	local, domain = sender[:i], strings.TrimSuffix(sender[i+1:], ".")
	if local == "" {
		local = "postmaster"
	}
	return local, domain
}

// validDomain reports whether name can be looked up: ASCII labels of 1 to
// 63 octets, 253 octets in all, and at least two labels when multiLabel
// (RFC 7208 4.3).
func validDomain(name string, multiLabel bool) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	labels := 0
	for l := range strings.SplitSeq(name, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
		labels++
	}
	for i := 0; i < len(name); i++ {
		if name[i] <= ' ' || name[i] > '~' {
			return false
		}
	}
	return labels >= 2 || !multiLabel
}
