package dmarc

import (
	"context"
	"testing"

	"github.com/mailwright/mailwright/delivery/spf"
	"github.com/mailwright/mailwright/internal/dnstest"
	"github.com/miekg/dns"
)

// zone is the DNS of the evaluation tests.
var zone = []string{
	`_dmarc.example.com. TXT "v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:d@example.com"`,
	`example.com. A 192.0.2.1`,
	`news.example.com. A 192.0.2.2`,
	`_dmarc.mail.example.com. TXT "v=DMARC1; p=none"`,
	`_dmarc.strict.example. TXT "v=DMARC1; p=reject; adkim=s; aspf=s"`,
	`sub.strict.example. A 192.0.2.3`,
	`_dmarc.testing.example. TXT "v=DMARC1; p=reject; t=y"`,
	`_dmarc.quarantine-testing.example. TXT "v=DMARC1; p=quarantine; t=y"`,
	`_dmarc.psd. TXT "v=DMARC1; p=reject; psd=y"`,
	`_dmarc.split.example.com. TXT "v=DMARC1; p=quarantine; psd=n"`,
	`_dmarc.two.example. TXT "v=DMARC1; p=reject"`,
	`_dmarc.two.example. TXT "v=DMARC1; p=none"`,
	`_dmarc.badp.example. TXT "v=DMARC1; p=bogus; rua=mailto:r@badp.example"`,
	`_dmarc.badp-norua.example. TXT "v=DMARC1; p=bogus"`,
	`_dmarc.nop.example. TXT "v=DMARC1; adkim=s"`,
}

func newEvaluator(t testing.TB) (*Evaluator, *dnstest.Server) {
	srv := dnstest.NewServer(t, zone...)
	srv.Fail("_dmarc.servfail.example", dns.RcodeServerFailure)
	srv.Fail("_dmarc.example.org", dns.RcodeServerFailure)
	srv.Fail("_dmarc.servfail.example.com", dns.RcodeServerFailure)
	return &Evaluator{Resolver: &spf.DNS{Server: srv.Addr}}, srv
}

func TestEvaluate(t *testing.T) {
	e, _ := newEvaluator(t)
	pass := func(d string) []DKIMResult { return []DKIMResult{{Domain: d, Selector: "s", Result: "pass"}} }
	for _, tc := range []struct {
		name          string
		in            Input
		result        Result
		policyDomain  string
		policy, apply Policy
	}{
		{"no record", Input{From: "nodmarc.example", SPF: spf.Pass, SPFDomain: "nodmarc.example"}, None, "", "", ""},
		{"spf aligned strict", Input{From: "example.com", SPF: spf.Pass, SPFDomain: "Example.COM."}, Pass, "example.com", PolicyReject, PolicyNone},
		// RFC 9989 Table 1: foo.example.com and news.example.com share example.com.
		{"spf relaxed", Input{From: "news.example.com", SPF: spf.Pass, SPFDomain: "foo.example.com"}, Pass, "example.com", PolicyQuarantine, PolicyNone},
		{"dkim relaxed", Input{From: "news.example.com", DKIM: pass("example.com")}, Pass, "example.com", PolicyQuarantine, PolicyNone},
		{"other organization", Input{From: "news.example.com", SPF: spf.Pass, SPFDomain: "foo.example.net", DKIM: pass("example.net")}, Fail, "example.com", PolicyQuarantine, PolicyQuarantine},
		{"spf not pass", Input{From: "example.com", SPF: spf.SoftFail, SPFDomain: "example.com"}, Fail, "example.com", PolicyReject, PolicyReject},
		{"dkim not pass", Input{From: "example.com", DKIM: []DKIMResult{{Domain: "example.com", Result: "fail"}}}, Fail, "example.com", PolicyReject, PolicyReject},
		{"second signature aligns", Input{From: "example.com", DKIM: []DKIMResult{{Domain: "example.net", Result: "pass"}, {Domain: "mail.example.com", Result: "pass"}}}, Pass, "example.com", PolicyReject, PolicyNone},
		{"own record on a subdomain", Input{From: "mail.example.com"}, Fail, "mail.example.com", PolicyNone, PolicyNone},
		{"relaxed across a subdomain record", Input{From: "mail.example.com", DKIM: pass("example.com")}, Pass, "mail.example.com", PolicyNone, PolicyNone},
		{"np for a non-existent subdomain", Input{From: "ghost.example.com"}, Fail, "example.com", PolicyReject, PolicyReject},
		{"sp for an existing subdomain", Input{From: "news.example.com"}, Fail, "example.com", PolicyQuarantine, PolicyQuarantine},
		{"strict spf", Input{From: "sub.strict.example", SPF: spf.Pass, SPFDomain: "strict.example"}, Fail, "strict.example", PolicyReject, PolicyReject},
		{"strict dkim", Input{From: "sub.strict.example", DKIM: pass("strict.example")}, Fail, "strict.example", PolicyReject, PolicyReject},
		{"strict identical", Input{From: "strict.example", DKIM: pass("STRICT.example")}, Pass, "strict.example", PolicyReject, PolicyNone},
		{"testing mode reject", Input{From: "testing.example"}, Fail, "testing.example", PolicyReject, PolicyQuarantine},
		{"testing mode quarantine", Input{From: "quarantine-testing.example"}, Fail, "quarantine-testing.example", PolicyQuarantine, PolicyNone},
		{"public suffix policy", Input{From: "shop.psd"}, Fail, "psd", PolicyReject, PolicyReject},
		{"psd=y makes the org one label below", Input{From: "a.shop.psd", DKIM: pass("b.shop.psd")}, Pass, "psd", PolicyReject, PolicyNone},
		{"psd=y separates organizations", Input{From: "a.shop.psd", DKIM: pass("other.psd")}, Fail, "psd", PolicyReject, PolicyReject},
		{"psd=n is an organizational domain", Input{From: "x.split.example.com", DKIM: pass("example.com")}, Fail, "split.example.com", PolicyQuarantine, PolicyQuarantine},
		{"psd=n aligns below it", Input{From: "x.split.example.com", DKIM: pass("y.split.example.com")}, Pass, "split.example.com", PolicyQuarantine, PolicyNone},
		{"two records are none", Input{From: "two.example"}, None, "", "", ""},
		{"invalid p with rua is p=none", Input{From: "badp.example"}, Fail, "badp.example", PolicyNone, PolicyNone},
		{"invalid p without rua", Input{From: "badp-norua.example"}, None, "", "", ""},
		{"no p is p=none", Input{From: "nop.example"}, Fail, "nop.example", PolicyNone, PolicyNone},
		{"servfail", Input{From: "servfail.example"}, TempError, "", "", ""},
		{"servfail on the alignment walk", Input{From: "news.example.com", DKIM: pass("x.servfail.example.com")}, TempError, "example.com", PolicyQuarantine, PolicyNone},
		{"another identifier aligns", Input{From: "news.example.com", SPF: spf.Pass, SPFDomain: "example.com", DKIM: pass("x.servfail.example.com")}, Pass, "example.com", PolicyQuarantine, PolicyNone},
		{"not a domain", Input{From: "localhost"}, None, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := e.Evaluate(context.Background(), tc.in)
			if v.Result != tc.result || v.PolicyDomain != tc.policyDomain || v.Policy != tc.policy || v.Disposition != tc.apply {
				t.Errorf("got %s at %q policy %q apply %q (%v); want %s at %q policy %q apply %q",
					v.Result, v.PolicyDomain, v.Policy, v.Disposition, v.Err, tc.result, tc.policyDomain, tc.policy, tc.apply)
			}
		})
	}
}

// A failure on the tree walk of policy discovery (_dmarc.a.example.org is
// NXDOMAIN, _dmarc.example.org SERVFAIL) leaves the result undecided.
func TestEvaluateDiscoveryTempError(t *testing.T) {
	e, _ := newEvaluator(t)
	in := Input{From: "a.example.org", DKIM: []DKIMResult{{Domain: "b.example.org", Result: "pass"}}}
	if v := e.Evaluate(context.Background(), in); v.Result != TempError || v.Err == nil {
		t.Errorf("%s (%v), want temperror", v.Result, v.Err)
	}
}

// RFC 9989 4.10: a walk asks at most 8 names, whatever the length of the
// Author Domain.
func TestEvaluateQueryLimit(t *testing.T) {
	e, srv := newEvaluator(t)
	v := e.Evaluate(context.Background(), Input{From: "a.b.c.d.e.f.g.h.i.j.k.l.m.example.com", DKIM: []DKIMResult{{Domain: "z.y.x.w.v.u.t.s.r.q.example.com", Result: "pass"}}})
	if v.Result != Pass || v.PolicyDomain != "example.com" {
		t.Errorf("%s at %q (%v)", v.Result, v.PolicyDomain, v.Err)
	}
	// Two walks of 8 names, sharing the last three (example.com, com and
	// the shortened names differ).
	if n := srv.TotalQueries(); n > 2*maxWalkQueries+1 {
		t.Errorf("%d queries, want at most %d", n, 2*maxWalkQueries+1)
	}
}
