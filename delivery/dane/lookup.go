package dane

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// Resolver asks a DNS server and returns its whole answer, with the AD
// bit, for NOERROR and NXDOMAIN alike; any other outcome (SERVFAIL, a
// timeout) is an error. It must ask a validating resolver that the
// operator trusts, over a path that cannot be tampered with (loopback,
// as RFC 7672 1.3 recommends). delivery.Remote implements it over its
// own DNS client.
type Resolver interface {
	Query(ctx context.Context, name string, qtype uint16) (*dns.Msg, error)
}

// QueryFunc adapts a function to Resolver.
type QueryFunc func(ctx context.Context, name string, qtype uint16) (*dns.Msg, error)

// Query calls f.
func (f QueryFunc) Query(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	return f(ctx, name, qtype)
}

// Policy is what the TLSA records of one server say.
type Policy struct {
	// Host is the TLSA base domain: the MX host name.
	Host string
	// Records are the usable records (DANE-TA and DANE-EE).
	Records []TLSA
	// Unusable counts the records that cannot be used (PKIX usages,
	// unknown parameters). When all are unusable TLS is still
	// mandatory, but not authenticated (RFC 7672 2.2).
	Unusable int
}

// Authenticated reports whether the records can authenticate the server.
func (p *Policy) Authenticated() bool { return len(p.Records) > 0 }

// Strings returns the records in presentation format, usable ones first.
func (p *Policy) Strings() []string {
	out := make([]string, len(p.Records))
	for i, r := range p.Records {
		out[i] = r.String()
	}
	return out
}

// LookupError is a TLSA lookup that failed: RFC 7672 2.2 then forbids
// delivering to the server, as if it were unreachable.
type LookupError struct {
	Host string
	// Result is the TLS-RPT result type: ResultDNSSECInvalid.
	Result string
	Err    error
}

func (e *LookupError) Error() string { return "dane: TLSA of " + e.Host + ": " + e.Err.Error() }
func (e *LookupError) Unwrap() error { return e.Err }

// Name returns the owner of the TLSA records of host's port:
// _25._tcp.mx.example.org. (RFC 6698 3).
func Name(host string, port int) string {
	return "_" + strconv.Itoa(port) + "._tcp." + dns.Fqdn(strings.ToLower(host))
}

// Lookup returns the TLSA records of host's SMTP service on port. It
// returns nil, nil when DANE does not apply: no records, or an answer
// that is not authenticated (insecure). Callers look up TLSA only for
// hosts whose MX and address records were authenticated too (RFC 7672
// 2.2.1, 2.2.2).
func Lookup(ctx context.Context, r Resolver, host string, port int) (*Policy, error) {
	resp, err := r.Query(ctx, Name(host, port), dns.TypeTLSA)
	if err != nil {
		return nil, &LookupError{host, ResultDNSSECInvalid, err}
	}
	if !resp.AuthenticatedData {
		return nil, nil // insecure: no DANE
	}
	if resp.Rcode == dns.RcodeNameError {
		return nil, nil
	}
	if resp.Rcode != dns.RcodeSuccess {
		return nil, &LookupError{host, ResultDNSSECInvalid, errors.New("DNS answered " + dns.RcodeToString[resp.Rcode])}
	}
	p := &Policy{Host: strings.ToLower(strings.TrimSuffix(host, "."))}
	for _, rr := range resp.Answer {
		rr, ok := rr.(*dns.TLSA)
		if !ok {
			continue // the CNAMEs followed
		}
		t, err := FromRR(rr)
		if err != nil || !t.Usable() {
			p.Unusable++
			continue
		}
		p.Records = append(p.Records, t)
	}
	if len(p.Records) == 0 && p.Unusable == 0 {
		return nil, nil
	}
	return p, nil
}

// String describes the policy for logs.
func (p *Policy) String() string {
	return fmt.Sprintf("DANE %s: %d usable, %d unusable TLSA records", p.Host, len(p.Records), p.Unusable)
}
