package spf

import (
	"context"
	"errors"
	"fmt"
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
	// defaultTimeout20s: "at least 20 seconds" for a whole check.
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

// outcome is what check_host found for one domain.
type outcome struct {
	result      Result
	mechanism   string
	explanation string
	explained   bool // explanation is final (set by a redirect's target)
	err         error
}

func failed(r Result, format string, args ...any) outcome {
	return outcome{result: r, err: fmt.Errorf(format, args...)}
}

// errLimit carries a permerror out of macro expansion and lookups.
type errLimit struct{ msg string }

func (e *errLimit) Error() string { return e.msg }

// check is the state of one check: the inputs and the limit counters,
// which an include or a redirect shares with its parent (RFC 7208 4.6.4).
type check struct {
	*Checker
	resolver            Resolver
	ip                  netip.Addr
	local, senderDomain string
	helo                string
	now                 time.Time
	lookups, voids      int
	voidLimit           int

	validated     []string // the client's validated names, once looked up
	validatedDone bool
}

// checkHost evaluates domain's record (RFC 7208 4.3 to 4.7). explain is
// false inside an include, whose explanation is never used (RFC 7208 6.2).
func (ch *check) checkHost(ctx context.Context, domain string, explain bool) outcome {
	if !validDomain(domain, true) {
		return outcome{result: None} // RFC 7208 4.3
	}
	txts, err := ch.resolver.LookupTXT(ctx, domain)
	if err != nil {
		if errors.Is(err, ErrNoSuchDomain) {
			return outcome{result: None} // RFC 7208 4.3
		}
		return outcome{result: TempError, err: err} // RFC 7208 4.4
	}
	var spf []string
	for _, t := range txts {
		if isSPF(t) {
			spf = append(spf, t)
		}
	}
	switch len(spf) {
	case 0:
		return outcome{result: None} // RFC 7208 4.5
	case 1:
	default:
		return failed(PermError, "%s has %d SPF records", domain, len(spf))
	}
	rec, err := Parse(spf[0])
	if err != nil {
		return failed(PermError, "SPF record of %s: %v", domain, err)
	}
	o := ch.evaluate(ctx, rec, domain)
	if o.result == Fail && explain && !o.explained {
		// RFC 7208 6.2: the exp= of the record that failed, not of a record
		// that redirected to it.
		o.explanation, o.explained = ch.explanation(ctx, rec, domain), true
	}
	return o
}

// evaluate runs the directives in order, then redirect (RFC 7208 4.6.2, 4.7, 6.1).
func (ch *check) evaluate(ctx context.Context, rec *Record, domain string) outcome {
	for _, d := range rec.Directives {
		matched, o := ch.match(ctx, d, domain)
		if o.result != "" {
			return o // an error
		}
		if matched {
			return outcome{result: d.Qualifier, mechanism: d.String()}
		}
	}
	if rec.Redirect.IsZero() {
		return outcome{result: Neutral, mechanism: "default"} // RFC 7208 4.7
	}
	if o, ok := ch.countLookup(); !ok {
		return o
	}
	target, err := ch.target(ctx, rec.Redirect, domain)
	if err != nil {
		return limitOutcome(err)
	}
	o := ch.checkHost(ctx, target, true)
	if o.result == None {
		// RFC 7208 6.1: a redirect to a domain without a record is a permerror.
		return failed(PermError, "redirect=%s: no SPF record", target)
	}
	return o
}

// match evaluates one mechanism (RFC 7208 5). An outcome with a result
// ends the check (temperror, permerror).
func (ch *check) match(ctx context.Context, d Directive, domain string) (bool, outcome) {
	switch d.Mechanism {
	case "all":
		return true, outcome{}
	case "ip4", "ip6":
		// RFC 7208 5.6: a network of the other family never matches.
		return d.Network.Addr().Is4() == ch.ip.Is4() && d.Network.Contains(ch.ip), outcome{}
	}
	if o, ok := ch.countLookup(); !ok {
		return false, o
	}
	target := domain
	if !d.Domain.IsZero() {
		var err error
		if target, err = ch.target(ctx, d.Domain, domain); err != nil {
			return false, limitOutcome(err)
		}
	}
	switch d.Mechanism {
	case "include":
		return ch.include(ctx, target)
	case "a":
		addrs, err := ch.addrs(ctx, target, ch.ip.Is4())
		if err != nil {
			return false, limitOutcome(err)
		}
		return ch.anyInCIDR(addrs, d), outcome{}
	case "mx":
		return ch.mx(ctx, target, d)
	case "ptr":
		names, err := ch.validatedNames(ctx)
		if err != nil {
			return false, limitOutcome(err)
		}
		for _, n := range names {
			if strings.EqualFold(n, target) || hasSuffixFold(n, "."+target) {
				return true, outcome{}
			}
		}
		return false, outcome{}
	case "exists":
		// RFC 7208 5.7: always an A query, whatever the client's family.
		addrs, err := ch.addrs(ctx, target, true)
		if err != nil {
			return false, limitOutcome(err)
		}
		return len(addrs) > 0, outcome{}
	}
	return false, failed(PermError, "unknown mechanism %q", d.Mechanism) // Parse lets none through
}

// include maps the included domain's result (RFC 7208 5.2).
func (ch *check) include(ctx context.Context, target string) (bool, outcome) {
	o := ch.checkHost(ctx, target, false)
	switch o.result {
	case Pass:
		return true, outcome{}
	case Fail, SoftFail, Neutral:
		return false, outcome{}
	case None:
		return false, failed(PermError, "include:%s: no SPF record", target)
	}
	return false, o // temperror, permerror
}

// mx matches the addresses of domain's MX hosts (RFC 7208 5.4).
func (ch *check) mx(ctx context.Context, target string, d Directive) (bool, outcome) {
	hosts, err := ch.lookupNames(ctx, target)
	if err != nil {
		return false, limitOutcome(err)
	}
	if len(hosts) > maxMXNames {
		return false, failed(PermError, "mx:%s: more than %d MX records", target, maxMXNames)
	}
	// Every host is looked up before matching, so that the void lookups
	// counted do not depend on the order of the MX records.
	var addrs []netip.Addr
	for _, h := range hosts {
		if h == "" || h == "." {
			continue // a null MX (RFC 7505) has no address
		}
		a, err := ch.addrs(ctx, h, ch.ip.Is4())
		if err != nil {
			return false, limitOutcome(err)
		}
		addrs = append(addrs, a...)
	}
	return ch.anyInCIDR(addrs, d), outcome{}
}

func (ch *check) anyInCIDR(addrs []netip.Addr, d Directive) bool {
	bits := d.Bits4
	if ch.ip.Is6() {
		bits = d.Bits6
	}
	net := netip.PrefixFrom(ch.ip, bits).Masked()
	for _, a := range addrs {
		if net.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// countLookup counts a DNS term against the limit of 10 (RFC 7208 4.6.4).
func (ch *check) countLookup() (outcome, bool) {
	ch.lookups++
	if ch.lookups > maxLookups {
		return failed(PermError, "more than %d DNS lookups", maxLookups), false
	}
	return outcome{}, true
}

// void counts a lookup that found nothing (RFC 7208 4.6.4).
func (ch *check) void() error {
	ch.voids++
	if ch.voids > ch.voidLimit {
		return &errLimit{fmt.Sprintf("more than %d void DNS lookups", ch.voidLimit)}
	}
	return nil
}

// addrs looks up name's A (v4) or AAAA records. A name that cannot exist
// is a void lookup without a query.
func (ch *check) addrs(ctx context.Context, name string, v4 bool) ([]netip.Addr, error) {
	if !validDomain(name, false) {
		return nil, ch.void()
	}
	var addrs []netip.Addr
	var err error
	if v4 {
		addrs, err = ch.resolver.LookupA(ctx, name)
	} else {
		addrs, err = ch.resolver.LookupAAAA(ctx, name)
	}
	return addrs, ch.voidOr(len(addrs), err)
}

// lookupNames looks up name's MX hosts.
func (ch *check) lookupNames(ctx context.Context, name string) ([]string, error) {
	if !validDomain(name, false) {
		return nil, ch.void()
	}
	hosts, err := ch.resolver.LookupMX(ctx, name)
	return hosts, ch.voidOr(len(hosts), err)
}

// voidOr counts an empty answer or NXDOMAIN as void and returns the other
// errors.
func (ch *check) voidOr(n int, err error) error {
	if err == nil && n > 0 {
		return nil
	}
	if err == nil || errors.Is(err, ErrNoSuchDomain) {
		return ch.void()
	}
	return err
}

// limitOutcome turns a lookup-limit error into permerror, anything else
// into temperror (RFC 7208 5: a DNS error other than NXDOMAIN).
func limitOutcome(err error) outcome {
	var lim *errLimit
	if errors.As(err, &lim) {
		return outcome{result: PermError, err: err}
	}
	return outcome{result: TempError, err: err}
}

// validatedNames returns the client's names that resolve back to its
// address (RFC 7208 5.5), looked up once per check. A failed PTR or
// address lookup just leaves names out.
func (ch *check) validatedNames(ctx context.Context) ([]string, error) {
	if ch.validatedDone {
		return ch.validated, nil
	}
	ch.validatedDone = true
	names, err := ch.resolver.LookupPTR(ctx, ch.ip)
	if err := ch.voidOr(len(names), err); err != nil {
		return nil, limitOrNil(err)
	}
	if len(names) > maxPTRNames {
		names = names[:maxPTRNames] // RFC 7208 4.6.4: the others are ignored
	}
	for _, n := range names {
		addrs, err := ch.addrs(ctx, n, ch.ip.Is4())
		if err != nil {
			if err := limitOrNil(err); err != nil {
				return nil, err
			}
			continue // RFC 7208 5.5: a failed address lookup skips the name
		}
		for _, a := range addrs {
			if a.Unmap() == ch.ip {
				ch.validated = append(ch.validated, n)
				break
			}
		}
	}
	return ch.validated, nil
}

// limitOrNil keeps only a lookup-limit error: DNS failures of the PTR
// lookups make the ptr mechanism not match (RFC 7208 5.5).
func limitOrNil(err error) error {
	var lim *errLimit
	if errors.As(err, &lim) {
		return err
	}
	return nil
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}
