package delivery

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/mailwright/mailwright/delivery/dane"
	"github.com/mailwright/mailwright/delivery/mtasts"
	"github.com/mailwright/mailwright/delivery/tlsrpt"
	"github.com/mailwright/mailwright/queue"
)

// tlsPolicy is how TLS is used with one MX host in one attempt: what
// DANE (RFC 7672) or MTA-STS (RFC 8461) asks, or nothing
// (opportunistic TLS).
type tlsPolicy struct {
	// kind names the policy; connections are pooled per host and kind,
	// so that a connection set up under a weaker policy never carries
	// mail that needs a stronger one.
	kind string
	// required: no delivery without TLS (no plain-text fallback).
	required bool
	// verify authenticates the server; nil for unauthenticated TLS.
	verify func(cs tls.ConnectionState) error
	// enforce: a failed verification fails the connection. Without it
	// (MTA-STS testing) the failure is only reported.
	enforce bool
	// report is the TLS-RPT policy the sessions are counted under.
	report tlsrpt.Policy
	// tlsResult, when set, is the TLS-RPT failure that a session counts
	// as even when it negotiated TLS (TLSA records all unusable).
	tlsResult string
}

// Policy kinds.
const (
	kindNone       = ""
	kindDANE       = "dane"
	kindDANEPlain  = "dane-unusable" // TLSA records, none usable: TLS without authentication
	kindSTSEnforce = "sts-enforce"
	kindSTSTesting = "sts-testing"
)

// authenticated reports whether the policy authenticates the server, as
// REQUIRETLS needs (RFC 8689 4.2.1).
func (p *tlsPolicy) authenticated() bool { return p.verify != nil && p.enforce }

// destination is what applies to a whole delivery attempt: the
// recipient domain's MTA-STS policy and the message's own demands.
type destination struct {
	domain string
	sts    *mtasts.Policy
	stsErr error // why the policy could not be had (TLS-RPT)
	// requireTLS is REQUIRETLS (RFC 8689): only authenticated TLS.
	requireTLS bool
	// ignorePolicies is "TLS-Required: No" (RFC 8689 3): DANE and
	// MTA-STS are not applied, and TLS stays opportunistic.
	ignorePolicies bool
}

// destinationOf looks up what applies to d.
func (r *Remote) destinationOf(ctx context.Context, d *queue.Delivery) *destination {
	dst := &destination{domain: d.Domain, requireTLS: d.RequireTLS}
	if !d.RequireTLS && (r.MTASTS != nil || r.DANEResolver != "") && tlsRequiredNo(d) {
		// RFC 8689 4.2.2: REQUIRETLS, when present, overrides the field.
		dst.ignorePolicies = true
		return dst
	}
	if r.MTASTS != nil {
		dst.sts, dst.stsErr = r.MTASTS.Lookup(ctx, d.Domain)
		if dst.stsErr != nil {
			var fe *mtasts.FetchError
			result := tlsrpt.ResultSTSFetchError
			if errors.As(dst.stsErr, &fe) {
				result = fe.Result
			}
			r.record(dst, nil, tlsrpt.Failure{Result: result, AdditionalInformation: dst.stsErr.Error()})
		}
	}
	return dst
}

// policyFor decides how TLS is used with host. secure says whether its
// MX and address records were authenticated (RFC 7672 2.2.1, 2.2.2). A
// non-nil Result means the host must not be used, and says why.
func (r *Remote) policyFor(ctx context.Context, dst *destination, host string, secure bool) (*tlsPolicy, *queue.Result) {
	p, res := r.hostPolicy(ctx, dst, host, secure)
	if res == nil && dst.requireTLS && !p.authenticated() {
		// RFC 8689 4.2.1: only TLS that DANE or MTA-STS authenticates.
		r2 := queue.PermFail(550, "5.7.10", "REQUIRETLS: "+host+" can be authenticated neither by DANE nor by MTA-STS", "")
		if dst.stsErr != nil {
			// The policy may be there once it can be fetched.
			r2 = queue.TempFail(450, "4.7.10", "REQUIRETLS: no MTA-STS policy for "+dst.domain+" ("+dst.stsErr.Error()+")", "")
		}
		return nil, &r2
	}
	return p, res
}

// hostPolicy is policyFor without REQUIRETLS.
func (r *Remote) hostPolicy(ctx context.Context, dst *destination, host string, secure bool) (*tlsPolicy, *queue.Result) {
	p := &tlsPolicy{report: tlsrpt.Policy{Type: tlsrpt.PolicyNone, Domain: dst.domain}}
	if dst.ignorePolicies {
		return p, nil
	}
	if r.DANEResolver != "" && secure {
		tlsa, err := dane.Lookup(ctx, dane.QueryFunc(r.queryDANE), host, 25)
		if err != nil {
			// RFC 7672 2.2: a failed TLSA lookup makes the host unusable.
			r.record(dst, p, tlsrpt.Failure{Result: tlsrpt.ResultDNSSECInvalid, ReceivingMXHostname: host, AdditionalInformation: err.Error()})
			res := queue.TempFail(0, "4.7.5", "TLSA lookup for "+host+" failed: "+err.Error(), "")
			return nil, &res
		}
		if tlsa != nil {
			// RFC 8461 2: DANE takes precedence over MTA-STS.
			return r.danePolicy(dst, host, tlsa), nil
		}
	}
	if dst.sts != nil && dst.sts.Mode != mtasts.ModeNone {
		return r.stsPolicy(dst, host)
	}
	return p, nil
}

func (r *Remote) danePolicy(dst *destination, host string, tlsa *dane.Policy) *tlsPolicy {
	p := &tlsPolicy{
		kind:     kindDANE,
		required: true,
		enforce:  true,
		report:   tlsrpt.Policy{Type: tlsrpt.PolicyTLSA, String: tlsa.Strings(), Domain: dst.domain, MXHost: []string{tlsa.Host}},
	}
	if !tlsa.Authenticated() {
		// RFC 7672 2.2: unusable records still make TLS mandatory.
		p.kind = kindDANEPlain
		p.tlsResult = tlsrpt.ResultTLSAInvalid
		return p
	}
	// RFC 7672 3.2.2: the MX host name and the next-hop domain.
	p.verify = tlsa.VerifyConnection([]string{host, dst.domain})
	return p
}

func (r *Remote) stsPolicy(dst *destination, host string) (*tlsPolicy, *queue.Result) {
	sts := dst.sts
	// RFC 8689 4.2.1: REQUIRETLS treats a testing policy as enforced.
	enforce := sts.Mode == mtasts.ModeEnforce || dst.requireTLS
	p := &tlsPolicy{
		kind:     kindSTSTesting,
		required: enforce,
		enforce:  enforce,
		report:   tlsrpt.Policy{Type: tlsrpt.PolicySTS, String: sts.Lines(), Domain: dst.domain, MXHost: sts.MX},
	}
	if enforce {
		p.kind = kindSTSEnforce
	}
	if !sts.Match(host) {
		// RFC 8461 4.1: an MX host that the policy does not name.
		r.record(dst, p, tlsrpt.Failure{Result: tlsrpt.ResultValidationFailure, ReceivingMXHostname: host, AdditionalInformation: "MX host not in the MTA-STS policy"})
		if enforce {
			res := queue.TempFail(0, "4.7.5", "MX host "+host+" does not match the MTA-STS policy of "+dst.domain, "")
			return nil, &res
		}
		return &tlsPolicy{report: p.report}, nil
	}
	p.verify = r.verifyPKIX(host)
	return p, nil
}

// verifyPKIX checks the server's chain against the roots of TLSConfig
// (the system's when nil) and the MX host name (RFC 8461 4.2).
func (r *Remote) verifyPKIX(host string) func(tls.ConnectionState) error {
	var roots *x509.CertPool
	if r.TLSConfig != nil {
		roots = r.TLSConfig.RootCAs
	}
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("no certificate presented")
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: host, CurrentTime: time.Now()})
		return err
	}
}

// resultOfTLS names a failed TLS session for TLS-RPT (RFC 8460 4.3).
func resultOfTLS(err error) string {
	var (
		ve   *dane.VerifyError
		host x509.HostnameError
		inv  x509.CertificateInvalidError
		ua   x509.UnknownAuthorityError
	)
	switch {
	case errors.As(err, &ve):
		return ve.Result
	case errors.As(err, &host):
		return tlsrpt.ResultHostMismatch
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		return tlsrpt.ResultExpired
	case errors.As(err, &ua):
		return tlsrpt.ResultNotTrusted
	}
	return tlsrpt.ResultValidationFailure
}

// record counts a session for TLS-RPT; f.Result empty is a success. p
// nil is a failure to get the domain's policy at all.
func (r *Remote) record(dst *destination, p *tlsPolicy, f tlsrpt.Failure) {
	if r.TLSRPT == nil {
		return
	}
	policy := tlsrpt.Policy{Type: tlsrpt.PolicyNone, Domain: dst.domain}
	if p != nil {
		policy = p.report
	}
	if f.Result == "" {
		r.TLSRPT.Success(policy)
		return
	}
	r.TLSRPT.Failure(policy, f)
}

// recordSession records the outcome of setting up TLS with host at ip,
// from our address local.
func (r *Remote) recordSession(dst *destination, p *tlsPolicy, host string, ip netip.Addr, local net.Addr, result string, err error) {
	f := tlsrpt.Failure{Result: result}
	if result != "" {
		f.ReceivingMXHostname = host
		f.ReceivingIP = ip.String()
		if ap, err := netip.ParseAddrPort(local.String()); err == nil {
			f.SendingMTAIP = ap.Addr().Unmap().String()
		}
		if err != nil {
			f.AdditionalInformation = err.Error()
		}
	}
	r.record(dst, p, f)
}

// maxTLSRequiredHeader bounds the header read for TLS-Required.
const maxTLSRequiredHeader = 64 << 10

// tlsRequiredNo reports whether the message's header has
// "TLS-Required: No" (RFC 8689 3). A message that cannot be read does
// not have it.
func tlsRequiredNo(d *queue.Delivery) bool {
	body, err := d.Open()
	if err != nil {
		return false
	}
	defer body.Close()
	br := bufio.NewReader(io.LimitReader(body, maxTLSRequiredHeader))
	var field string // the field being unfolded, when it is TLS-Required
	found := false
	for {
		line, err := br.ReadString('\n')
		trimmed := strings.TrimRight(line, "\r\n")
		folded := trimmed != "" && (trimmed[0] == ' ' || trimmed[0] == '\t')
		if !folded && field != "" {
			found = found || strings.EqualFold(strings.TrimSpace(field), "no")
			field = ""
		}
		if trimmed == "" || err != nil {
			return found
		}
		if folded {
			if field != "" {
				field += trimmed
			}
			continue
		}
		if name, value, ok := strings.Cut(trimmed, ":"); ok && strings.EqualFold(strings.TrimSpace(name), "TLS-Required") {
			field = " " + value
		}
	}
}
