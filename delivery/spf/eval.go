package spf

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

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
	network := netip.PrefixFrom(ch.ip, bits).Masked()
	for _, a := range addrs {
		if network.Contains(a.Unmap()) {
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
