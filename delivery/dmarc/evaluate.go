package dmarc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mailwright/mailwright/delivery/spf"
)

// maxDKIMIdentifiers bounds the passing signatures whose domains are
// walked for alignment: each walk costs up to 8 queries.
const maxDKIMIdentifiers = 10

// defaultTimeout bounds an evaluation whose context has no deadline.
const defaultTimeout = 20 * time.Second

// Resolver looks up TXT records. Its errors follow the contract of
// spf.Resolver: errors.Is(err, spf.ErrNoSuchDomain) for a name that does
// not exist, no records and no error for a name without TXT records, and
// any other error for a failure. *spf.DNS implements it.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Result is the DMARC result of a message (RFC 9989 5.3.5, and the names
// of RFC 8601's registry).
type Result string

// The DMARC results.
const (
	// None: no DMARC Policy Record applies to the Author Domain.
	None Result = "none"
	// Pass: an authenticated identifier is aligned with the Author Domain.
	Pass Result = "pass"
	// Fail: none is.
	Fail Result = "fail"
	// TempError: a DNS query failed, so neither pass nor fail can be
	// told (RFC 9989 5.3.6); the policy cannot be applied.
	TempError Result = "temperror"
)

// DKIMResult is the outcome of verifying one DKIM signature, as the DKIM
// verifier reports it (RFC 9989 5.3.3).
type DKIMResult struct {
	Domain   string // the d= tag
	Selector string // the s= tag
	Result   string // an RFC 8601 2.7.1 result: "pass", "fail", "none", …
}

// Input is what DMARC evaluates for one message.
type Input struct {
	// From is the Author Domain: the domain of the RFC5322.From address
	// (RFC 9989 5.3.1).
	From string
	// SPFDomain is the domain that SPF checked for the MAIL FROM identity
	// (for a null reverse-path, the HELO domain), and SPF its result.
	SPFDomain string
	SPF       spf.Result
	// DKIM are the results of the message's signatures.
	DKIM []DKIMResult
}

// Verdict is the outcome of an evaluation.
type Verdict struct {
	Result Result
	// PolicyDomain is where the applied record was found, Record that
	// record; both are empty when Result is None.
	PolicyDomain string
	Record       *Record
	// Policy is what the Domain Owner asks for a failing message (the p,
	// sp or np of Record); Disposition is what to apply: Policy one level
	// lower in testing mode (t=y), none for a message that passed.
	Policy, Disposition Policy
	// SPFAligned and DKIMAligned tell which identifiers aligned.
	SPFAligned, DKIMAligned bool
	// Err says why for TempError, and why DMARC could not be applied to a
	// From domain that None was given for.
	Err error
}

// Evaluator applies DMARC (RFC 9989) to messages. It is safe for
// concurrent use; DNS answers are cached by its Resolver.
type Evaluator struct {
	// Resolver answers the DNS queries; nil means a caching spf.DNS that
	// asks the servers of /etc/resolv.conf.
	Resolver Resolver
	// Timeout bounds an evaluation when the context has no earlier
	// deadline; zero means 20 seconds. Past it the result is TempError.
	Timeout time.Duration

	once sync.Once
	dns  *spf.DNS
}

func (e *Evaluator) resolver() Resolver {
	if e.Resolver != nil {
		return e.Resolver
	}
	e.once.Do(func() { e.dns = &spf.DNS{} })
	return e.dns
}

// Evaluate applies DMARC to one message: policy discovery, identifier
// alignment, and the policy decision (RFC 9989 5.3).
func (e *Evaluator) Evaluate(ctx context.Context, in Input) Verdict {
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	author := normalize(in.From)
	if err := checkDomain(author); err != nil {
		return Verdict{Result: None, Err: err}
	}
	w := newWalker(ctx, e.resolver())
	d, err := w.discover(author)
	if err != nil {
		return Verdict{Result: TempError, Err: err}
	}
	if d.rec == nil {
		return Verdict{Result: None} // RFC 9989 4.10.1: DMARC does not apply
	}
	rec := d.rec
	if rec.badPolicy {
		// RFC 9989 4.10.1: an invalid p, sp or np: p=none when there is
		// somewhere to report to, else no DMARC processing.
		if len(rec.AggregateURIs) == 0 {
			return Verdict{Result: None, Err: fmt.Errorf("the record of %s has an invalid policy and no rua", d.domain)}
		}
		fixed := *rec
		fixed.Policy, fixed.SubdomainPolicy, fixed.NonexistentPolicy, fixed.badPolicy = PolicyNone, "", "", false
		rec = &fixed
	}
	v := Verdict{PolicyDomain: d.domain, Record: rec, Disposition: PolicyNone}
	var errs []error
	if in.SPF == spf.Pass && in.SPFDomain != "" {
		v.SPFAligned, err = w.aligned(normalize(in.SPFDomain), author, rec.StrictSPF)
		errs = append(errs, err)
	}
	n := 0
	for _, s := range in.DKIM {
		if v.DKIMAligned || n == maxDKIMIdentifiers {
			break
		}
		if !strings.EqualFold(s.Result, "pass") || s.Domain == "" {
			continue
		}
		n++
		v.DKIMAligned, err = w.aligned(normalize(s.Domain), author, rec.StrictDKIM)
		errs = append(errs, err)
	}
	v.Policy, err = w.policy(rec, d.domain, author)
	errs = append(errs, err)
	switch err := errors.Join(errs...); {
	case v.SPFAligned || v.DKIMAligned:
		v.Result = Pass // RFC 9989 5.3.5: one aligned identifier is enough
	case err != nil:
		v.Result, v.Err = TempError, err
	default:
		v.Result, v.Disposition = Fail, v.Policy
		if rec.Testing {
			v.Disposition = v.Policy.lower() // RFC 9989 4.7, t=y
		}
	}
	return v
}

// aligned reports whether id is aligned with author (RFC 9989 3.2.10,
// 4.10.2): identical under strict alignment, of the same Organizational
// Domain under relaxed.
func (w *walker) aligned(id, author string, strict bool) (bool, error) {
	if id == author {
		return true, nil
	}
	if strict {
		return false, nil
	}
	org, err := w.orgDomain(author)
	if err != nil {
		return false, err
	}
	// An Organizational Domain is the name itself or a parent, so id can
	// only share author's if it is org or below it: no walk otherwise.
	if id != org && !strings.HasSuffix(id, "."+org) {
		return false, nil
	}
	idOrg, err := w.orgDomain(id)
	return idOrg == org, err
}

// policy is the policy that rec asks for author (RFC 9989 4.10.1): p on
// the Policy Domain itself; for a subdomain, np when it does not exist,
// else sp, else p.
func (w *walker) policy(rec *Record, policyDomain, author string) (Policy, error) {
	p := rec.Policy
	if p == "" {
		p = PolicyNone // RFC 9989 4.7: a record without p is p=none
	}
	if author == policyDomain {
		return p, nil
	}
	sp := rec.SubdomainPolicy
	if sp == "" {
		sp = p
	}
	if rec.NonexistentPolicy == "" || rec.NonexistentPolicy == sp {
		return sp, nil
	}
	exists, err := w.exists(author)
	if err != nil || exists {
		return sp, err
	}
	return rec.NonexistentPolicy, nil
}

// exists reports whether domain exists: any answer but NXDOMAIN (RFC 9989
// 3.2.13, A.4).
func (w *walker) exists(domain string) (bool, error) {
	_, err := w.resolver.LookupTXT(w.ctx, domain)
	if errors.Is(err, spf.ErrNoSuchDomain) {
		return false, nil
	}
	return err == nil, err
}

// lower is the policy one level less strict, for testing mode.
func (p Policy) lower() Policy {
	switch p {
	case PolicyReject:
		return PolicyQuarantine
	}
	return PolicyNone
}

// normalize lower-cases a domain and drops a final dot (RFC 9989 4.4:
// comparisons are case-insensitive).
func normalize(d string) string { return strings.ToLower(strings.TrimSuffix(d, ".")) }

// checkDomain accepts an ASCII domain name of at least two labels.
func checkDomain(d string) error {
	if d == "" || len(d) > 253 || !strings.Contains(d, ".") {
		return fmt.Errorf("From domain %q is not a domain", d)
	}
	for l := range strings.SplitSeq(d, ".") {
		if l == "" || len(l) > 63 {
			return fmt.Errorf("From domain %q is not a domain", d)
		}
	}
	for i := 0; i < len(d); i++ {
		if d[i] > '~' {
			// RFC 9989 5.3.1 wants the A-label, which needs IDNA tables
			// that mailwright does not carry (delivery refuses such
			// domains too).
			return fmt.Errorf("From domain %q is internationalized", d)
		}
		if d[i] <= ' ' {
			return fmt.Errorf("From domain %q is not a domain", d)
		}
	}
	return nil
}
