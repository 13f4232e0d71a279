package delivery

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailwright/mailwright/delivery/dane"
	"github.com/mailwright/mailwright/delivery/mtasts"
	"github.com/mailwright/mailwright/delivery/spf"
	"github.com/mailwright/mailwright/delivery/tlsrpt"
	"github.com/mailwright/mailwright/internal/dnstest"
	"github.com/mailwright/mailwright/internal/testcert"
	"github.com/mailwright/mailwright/queue"
	"github.com/mailwright/mailwright/smtp"
	"github.com/mailwright/mailwright/smtp/smtptest"
)

// secureWorld is the remote side of the transport security tests: a DNS
// server that plays the validating resolver (zones under signed.test
// carry the AD bit), an HTTPS server for MTA-STS policies with a
// certificate from a test CA, and a Remote that trusts that CA, with a
// TLS-RPT recorder. Every MX host is 127.0.0.1, where the test's one
// SMTP sink listens.
//
// Domains: sts.test (MTA-STS, policy naming mx.sts.test), the mode set by
// the test; signed.test (DNSSEC-signed, MX mx.signed.test with TLSA
// records the test adds); plain.test (nothing).
type secureWorld struct {
	t      *testing.T
	ca     *testcert.CA
	dns    *dnstest.Server
	policy string // served at mta-sts.sts.test
	remote *Remote
	rpt    *tlsrpt.Recorder
}

const stsEnforce = "version: STSv1\r\nmode: enforce\r\nmx: mx.sts.test\r\nmx: *.mx.sts.test\r\nmax_age: 86400\r\n"

func newSecureWorld(t *testing.T, policy string) *secureWorld {
	t.Helper()
	ca, err := testcert.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	w := &secureWorld{t: t, ca: ca, policy: policy, rpt: &tlsrpt.Recorder{}}
	w.dns = dnstest.NewServer(t,
		"sts.test. 300 IN MX 10 mx.sts.test.",
		"mx.sts.test. 300 IN A 127.0.0.1",
		`_mta-sts.sts.test. 300 IN TXT "v=STSv1; id=1"`,
		"mta-sts.sts.test. 300 IN A 127.0.0.1",
		"other.test. 300 IN MX 10 mx.other.test.",
		"mx.other.test. 300 IN A 127.0.0.1",
		`_mta-sts.other.test. 300 IN TXT "v=STSv1; id=1"`,
		"mta-sts.other.test. 300 IN A 127.0.0.1",
		"signed.test. 300 IN MX 10 mx.signed.test.",
		"mx.signed.test. 300 IN A 127.0.0.1",
		"plain.test. 300 IN MX 10 mx.plain.test.",
		"mx.plain.test. 300 IN A 127.0.0.1",
	)
	w.dns.Secure("signed.test")
	httpsCert := w.issue("mta-sts.sts.test", "mta-sts.other.test")
	web := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/plain")
		io.WriteString(rw, w.policy)
	}))
	web.TLS = &tls.Config{Certificates: []tls.Certificate{httpsCert}}
	web.StartTLS()
	t.Cleanup(web.Close)
	resolver := &spf.DNS{Server: w.dns.Addr}
	w.remote = &Remote{
		LocalName:   "mx.example.org",
		DNSServer:   w.dns.Addr,
		DialTimeout: 5 * time.Second,
		TLSConfig:   &tls.Config{RootCAs: ca.Pool()},
		MTASTS:      &mtasts.Client{Resolver: resolver, RootCAs: ca.Pool(), Port: port(t, web.Listener.Addr().String())},
		TLSRPT:      w.rpt,
		Logger:      discardLogger(),
	}
	t.Cleanup(func() { w.remote.Close() })
	return w
}

func port(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

func (w *secureWorld) issue(names ...string) tls.Certificate {
	w.t.Helper()
	cert, err := w.ca.Issue(names...)
	if err != nil {
		w.t.Fatal(err)
	}
	return cert
}

// sink starts the MX: with STARTTLS and cert, or without STARTTLS (a
// stripped or downgraded server) when cert is nil. Remote connects to it.
func (w *secureWorld) sink(cert *tls.Certificate, configure ...func(*smtptest.Server)) *smtptest.Server {
	w.t.Helper()
	s := smtptest.NewUnstartedServer(w.t)
	if cert != nil {
		s.SMTP.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	for _, f := range configure {
		f(s)
	}
	if err := s.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.remote.Port = port(w.t, s.Addr)
	return s
}

// dane switches the Remote to DANE with the test DNS server as its
// trusted resolver, and publishes TLSA records for mx.signed.test.
func (w *secureWorld) dane(records ...dane.TLSA) {
	w.t.Helper()
	w.remote.DANEResolver = w.dns.Addr
	for _, r := range records {
		if err := w.dns.Add("_25._tcp.mx.signed.test. 300 IN TLSA " + r.String()); err != nil {
			w.t.Fatal(err)
		}
	}
}

// deliver runs one attempt of a message to rcpt and returns its result.
func (w *secureWorld) deliver(rcpt, msg string, requireTLS bool) queue.Result {
	w.t.Helper()
	domain := rcpt[strings.LastIndexByte(rcpt, '@')+1:]
	d := queue.NewDelivery("m1", "alice@example.org", domain, []queue.Recipient{{Address: rcpt}}, int64(len(msg)),
		func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(msg)), nil })
	d.RequireTLS = requireTLS
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res := w.remote.Deliver(ctx, d)
	if len(res) != 1 {
		w.t.Fatalf("%d results", len(res))
	}
	return res[0]
}

// report returns today's TLS-RPT counts for domain: the policy results.
func (w *secureWorld) report(domain string) []tlsrpt.PolicyResult {
	w.t.Helper()
	for _, r := range w.rpt.Flush(time.Now().Add(48 * time.Hour)) {
		if r.Domain() == domain {
			return r.Policies
		}
	}
	return nil
}

// failures returns the result types of the failure details, in order.
func failures(p tlsrpt.PolicyResult) []string {
	var out []string
	for _, f := range p.FailureDetails {
		out = append(out, f.Result+"×"+strconv.FormatInt(f.Count, 10))
	}
	return out
}

const testMsg = "From: alice@example.org\r\nTo: bob@example.test\r\nSubject: secure\r\n\r\nHello.\r\n"

func wantDelivered(t *testing.T, res queue.Result, srv *smtptest.Server, tlsOn bool) {
	t.Helper()
	if res.Status != queue.StatusDelivered {
		t.Fatalf("result %+v, want delivered", res)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].TLS != tlsOn {
		t.Fatalf("the MX got %d messages (TLS %v), want one, TLS %v", len(msgs), len(msgs) > 0 && msgs[0].TLS, tlsOn)
	}
}

func wantRefused(t *testing.T, res queue.Result, srv *smtptest.Server, status queue.Status, enhanced string) {
	t.Helper()
	if res.Status != status || res.EnhancedCode != enhanced {
		t.Fatalf("result %+v, want %v %s", res, status, enhanced)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("the MX got %d messages, want none", n)
	}
}

// checkReport compares the one policy counted for domain.
func checkReport(t *testing.T, w *secureWorld, domain, policyType string, ok, failed int64, details ...string) {
	t.Helper()
	pols := w.report(domain)
	if len(pols) != 1 {
		t.Fatalf("TLS-RPT for %s: %d policies, want 1: %+v", domain, len(pols), pols)
	}
	p := pols[0]
	if p.Policy.Type != policyType || p.Summary.Successful != ok || p.Summary.Failed != failed || strings.Join(failures(p), " ") != strings.Join(details, " ") {
		t.Errorf("TLS-RPT for %s: %s, %d ok, %d failed, %v; want %s, %d, %d, %v", domain, p.Policy.Type, p.Summary.Successful, p.Summary.Failed, failures(p), policyType, ok, failed, details)
	}
}

// TestMTASTSEnforce: under an enforce policy mail goes only over TLS to
// an MX that the policy names and whose certificate is valid for its
// name (RFC 8461 4, 5).
func TestMTASTSEnforce(t *testing.T) {
	t.Run("valid", func(t *testing.T) {
		w := newSecureWorld(t, stsEnforce)
		cert := w.issue("mx.sts.test")
		srv := w.sink(&cert)
		wantDelivered(t, w.deliver("bob@sts.test", testMsg, false), srv, true)
		checkReport(t, w, "sts.test", tlsrpt.PolicySTS, 1, 0)
	})
	t.Run("STARTTLS stripped", func(t *testing.T) {
		w := newSecureWorld(t, stsEnforce)
		srv := w.sink(nil)
		wantRefused(t, w.deliver("bob@sts.test", testMsg, false), srv, queue.StatusTemporary, "4.7.5")
		checkReport(t, w, "sts.test", tlsrpt.PolicySTS, 0, 1, "starttls-not-supported×1")
	})
	t.Run("certificate for another name", func(t *testing.T) {
		w := newSecureWorld(t, stsEnforce)
		cert := w.issue("mx.elsewhere.test")
		srv := w.sink(&cert)
		wantRefused(t, w.deliver("bob@sts.test", testMsg, false), srv, queue.StatusTemporary, "4.7.5")
		checkReport(t, w, "sts.test", tlsrpt.PolicySTS, 0, 1, "certificate-host-mismatch×1")
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		w := newSecureWorld(t, stsEnforce)
		otherCA, err := testcert.NewCA()
		if err != nil {
			t.Fatal(err)
		}
		cert, err := otherCA.Issue("mx.sts.test")
		if err != nil {
			t.Fatal(err)
		}
		srv := w.sink(&cert)
		wantRefused(t, w.deliver("bob@sts.test", testMsg, false), srv, queue.StatusTemporary, "4.7.5")
		checkReport(t, w, "sts.test", tlsrpt.PolicySTS, 0, 1, "certificate-not-trusted×1")
	})
	t.Run("expired certificate", func(t *testing.T) {
		w := newSecureWorld(t, stsEnforce)
		cert, err := w.ca.IssueValid(time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour), "mx.sts.test")
		if err != nil {
			t.Fatal(err)
		}
		srv := w.sink(&cert)
		wantRefused(t, w.deliver("bob@sts.test", testMsg, false), srv, queue.StatusTemporary, "4.7.5")
		checkReport(t, w, "sts.test", tlsrpt.PolicySTS, 0, 1, "certificate-expired×1")
	})
	t.Run("MX not in the policy", func(t *testing.T) {
		// other.test's MX is mx.other.test, which the policy (served for
		// every domain here) does not name.
		w := newSecureWorld(t, stsEnforce)
		cert := w.issue("mx.other.test")
		srv := w.sink(&cert)
		wantRefused(t, w.deliver("bob@other.test", testMsg, false), srv, queue.StatusTemporary, "4.7.5")
		checkReport(t, w, "other.test", tlsrpt.PolicySTS, 0, 1, "validation-failure×1")
	})
}

// TestMTASTSTesting: a testing policy delivers as without one, and
// reports what enforce would have refused (RFC 8461 5).
func TestMTASTSTesting(t *testing.T) {
	stsTesting := strings.Replace(stsEnforce, "enforce", "testing", 1)
	t.Run("certificate for another name", func(t *testing.T) {
		w := newSecureWorld(t, stsTesting)
		cert := w.issue("mx.elsewhere.test")
		srv := w.sink(&cert)
		wantDelivered(t, w.deliver("bob@sts.test", testMsg, false), srv, true)
		checkReport(t, w, "sts.test", tlsrpt.PolicySTS, 0, 1, "certificate-host-mismatch×1")
	})
	t.Run("STARTTLS stripped", func(t *testing.T) {
		w := newSecureWorld(t, stsTesting)
		srv := w.sink(nil)
		wantDelivered(t, w.deliver("bob@sts.test", testMsg, false), srv, false)
		checkReport(t, w, "sts.test", tlsrpt.PolicySTS, 0, 1, "starttls-not-supported×1")
	})
}

// TestMTASTSFetchFailure: a policy that cannot be fetched is reported,
// and mail goes as without a policy.
func TestMTASTSFetchFailure(t *testing.T) {
	w := newSecureWorld(t, "not a policy")
	srv := w.sink(nil)
	wantDelivered(t, w.deliver("bob@sts.test", testMsg, false), srv, false)
	pols := w.report("sts.test")
	if len(pols) != 1 || pols[0].Policy.Type != tlsrpt.PolicyNone || strings.Join(failures(pols[0]), " ") != "sts-policy-invalid×1 starttls-not-supported×1" {
		t.Errorf("TLS-RPT: %+v", pols)
	}
}

// TestDANE: with TLSA records in a signed zone, TLS is mandatory and the
// server is authenticated by them alone (RFC 7672).
func TestDANE(t *testing.T) {
	t.Run("DANE-EE", func(t *testing.T) {
		w := newSecureWorld(t, stsEnforce)
		// Neither the name nor the CA matter with DANE-EE (RFC 7672 3.1.1).
		cert := testcert.Static()
		w.dane(dane.Record(3, 1, 1, cert.Leaf))
		srv := w.sink(&cert)
		wantDelivered(t, w.deliver("bob@signed.test", testMsg, false), srv, true)
		pols := w.report("signed.test")
		if len(pols) != 1 || pols[0].Policy.Type != tlsrpt.PolicyTLSA || pols[0].Summary.Successful != 1 ||
			pols[0].Policy.MXHost[0] != "mx.signed.test" || pols[0].Policy.String[0] != dane.Record(3, 1, 1, cert.Leaf).String() {
			t.Errorf("TLS-RPT: %+v", pols)
		}
	})
	t.Run("DANE-TA", func(t *testing.T) {
		w := newSecureWorld(t, stsEnforce)
		cert := w.issue("mx.signed.test")
		w.dane(dane.Record(2, 1, 1, w.ca.Cert))
		srv := w.sink(&cert)
		wantDelivered(t, w.deliver("bob@signed.test", testMsg, false), srv, true)
		checkReport(t, w, "signed.test", tlsrpt.PolicyTLSA, 1, 0)
	})
	t.Run("DANE-TA name mismatch", func(t *testing.T) {
		w := newSecureWorld(t, stsEnforce)
		cert := w.issue("mx.elsewhere.test")
		w.dane(dane.Record(2, 1, 1, w.ca.Cert))
		srv := w.sink(&cert)
		wantRefused(t, w.deliver("bob@signed.test", testMsg, false), srv, queue.StatusTemporary, "4.7.5")
		checkReport(t, w, "signed.test", tlsrpt.PolicyTLSA, 0, 1, "certificate-host-mismatch×1")
	})
	t.Run("STARTTLS stripped", func(t *testing.T) {
		w := newSecureWorld(t, stsEnforce)
		w.dane(dane.Record(3, 1, 1, testcert.Static().Leaf))
		srv := w.sink(nil)
		wantRefused(t, w.deliver("bob@signed.test", testMsg, false), srv, queue.StatusTemporary, "4.7.5")
		checkReport(t, w, "signed.test", tlsrpt.PolicyTLSA, 0, 1, "starttls-not-supported×1")
	})
	t.Run("certificate not in the TLSA records", func(t *testing.T) {
		w := newSecureWorld(t, stsEnforce)
		cert := w.issue("mx.signed.test") // valid by PKIX, but not the published key
		w.dane(dane.Record(3, 1, 1, testcert.Static().Leaf))
		srv := w.sink(&cert)
		wantRefused(t, w.deliver("bob@signed.test", testMsg, false), srv, queue.StatusTemporary, "4.7.5")
		checkReport(t, w, "signed.test", tlsrpt.PolicyTLSA, 0, 1, "validation-failure×1")
	})
	t.Run("only unusable records", func(t *testing.T) {
		// RFC 7672 2.2: TLS stays mandatory, without authentication.
		w := newSecureWorld(t, stsEnforce)
		cert := w.issue("mx.elsewhere.test")
		w.dane(dane.Record(dane.UsagePKIXEE, 1, 1, cert.Leaf))
		srv := w.sink(&cert)
		wantDelivered(t, w.deliver("bob@signed.test", testMsg, false), srv, true)
		checkReport(t, w, "signed.test", tlsrpt.PolicyTLSA, 0, 1, "tlsa-invalid×1")

		w = newSecureWorld(t, stsEnforce)
		w.dane(dane.Record(dane.UsagePKIXEE, 1, 1, cert.Leaf))
		srv = w.sink(nil)
		wantRefused(t, w.deliver("bob@signed.test", testMsg, false), srv, queue.StatusTemporary, "4.7.5")
	})
	t.Run("TLSA lookup fails", func(t *testing.T) {
		w := newSecureWorld(t, stsEnforce)
		w.dane()
		w.dns.Fail("_25._tcp.mx.signed.test", 2) // SERVFAIL: bogus, or the resolver is broken
		srv := w.sink(nil)
		wantRefused(t, w.deliver("bob@signed.test", testMsg, false), srv, queue.StatusTemporary, "4.7.5")
		checkReport(t, w, "signed.test", tlsrpt.PolicyNone, 0, 1, "dnssec-invalid×1")
	})
	t.Run("unsigned zone", func(t *testing.T) {
		// TLSA records in a zone that is not signed do not count: an
		// attacker could have forged them (RFC 7672 2.2).
		w := newSecureWorld(t, stsEnforce)
		w.remote.DANEResolver = w.dns.Addr
		if err := w.dns.Add("_25._tcp.mx.plain.test. 300 IN TLSA " + dane.Record(3, 1, 1, testcert.Static().Leaf).String()); err != nil {
			t.Fatal(err)
		}
		srv := w.sink(nil)
		wantDelivered(t, w.deliver("bob@plain.test", testMsg, false), srv, false)
	})
	t.Run("precedence over MTA-STS", func(t *testing.T) {
		// sts.test is signed too, with TLSA records for its MX: DANE
		// applies, and the MTA-STS policy (which the certificate's name
		// would fail) does not (RFC 8461 2).
		w := newSecureWorld(t, stsEnforce)
		w.dns.Secure("sts.test")
		w.remote.DANEResolver = w.dns.Addr
		cert := testcert.Static()
		if err := w.dns.Add("_25._tcp.mx.sts.test. 300 IN TLSA " + dane.Record(3, 1, 1, cert.Leaf).String()); err != nil {
			t.Fatal(err)
		}
		srv := w.sink(&cert)
		wantDelivered(t, w.deliver("bob@sts.test", testMsg, false), srv, true)
		checkReport(t, w, "sts.test", tlsrpt.PolicyTLSA, 1, 0)
	})
}

// TestRequireTLS: a REQUIRETLS message goes only to an MX authenticated
// by MTA-STS or DANE that offers REQUIRETLS itself, and bounces
// otherwise (RFC 8689 4.2.1).
func TestRequireTLS(t *testing.T) {
	enableRequireTLS := func(s *smtptest.Server) { s.SMTP.EnableRequireTLS = true }
	t.Run("no policy", func(t *testing.T) {
		w := newSecureWorld(t, stsEnforce)
		srv := w.sink(ptr(testcert.Static()), enableRequireTLS)
		wantRefused(t, w.deliver("bob@plain.test", testMsg, true), srv, queue.StatusPermanent, "5.7.10")
	})
	t.Run("MTA-STS testing counts as enforce", func(t *testing.T) {
		w := newSecureWorld(t, strings.Replace(stsEnforce, "enforce", "testing", 1))
		cert := w.issue("mx.elsewhere.test")
		srv := w.sink(&cert, enableRequireTLS)
		wantRefused(t, w.deliver("bob@sts.test", testMsg, true), srv, queue.StatusTemporary, "4.7.5")
	})
	t.Run("MTA-STS", func(t *testing.T) {
		w := newSecureWorld(t, stsEnforce)
		cert := w.issue("mx.sts.test")
		srv := w.sink(&cert, enableRequireTLS)
		wantDelivered(t, w.deliver("bob@sts.test", testMsg, true), srv, true)
		if !srv.Messages()[0].MailOptions.RequireTLS {
			t.Error("REQUIRETLS was not relayed")
		}
	})
	t.Run("DANE", func(t *testing.T) {
		w := newSecureWorld(t, stsEnforce)
		cert := testcert.Static()
		w.dane(dane.Record(3, 1, 1, cert.Leaf))
		srv := w.sink(&cert, enableRequireTLS)
		wantDelivered(t, w.deliver("bob@signed.test", testMsg, true), srv, true)
	})
	t.Run("DANE with unusable records only", func(t *testing.T) {
		// TLS is mandatory but not authenticated: not enough.
		w := newSecureWorld(t, stsEnforce)
		cert := testcert.Static()
		w.dane(dane.Record(dane.UsagePKIXEE, 1, 1, cert.Leaf))
		srv := w.sink(&cert, enableRequireTLS)
		wantRefused(t, w.deliver("bob@signed.test", testMsg, true), srv, queue.StatusPermanent, "5.7.10")
	})
	t.Run("next hop without REQUIRETLS", func(t *testing.T) {
		w := newSecureWorld(t, stsEnforce)
		cert := w.issue("mx.sts.test", "mx2.mx.sts.test")
		srv := w.sink(&cert)
		// Both MX hosts are tried before the message bounces.
		w.dns.Add("sts.test. 300 IN MX 20 mx2.mx.sts.test.", "mx2.mx.sts.test. 300 IN A 127.0.0.1")
		w.remote.MaxIdle = -1
		wantRefused(t, w.deliver("bob@sts.test", testMsg, true), srv, queue.StatusPermanent, "5.7.30")
		checkReport(t, w, "sts.test", tlsrpt.PolicySTS, 2, 0)
	})
	t.Run("TLS-Required: No does not override REQUIRETLS", func(t *testing.T) {
		w := newSecureWorld(t, stsEnforce)
		srv := w.sink(nil, enableRequireTLS)
		msg := "TLS-Required: No\r\n" + testMsg
		wantRefused(t, w.deliver("bob@plain.test", msg, true), srv, queue.StatusPermanent, "5.7.10")
	})
}

// TestTLSRequiredNo: "TLS-Required: No" makes the deliverer ignore
// MTA-STS and DANE (RFC 8689 4.2.2).
func TestTLSRequiredNo(t *testing.T) {
	msg := "Subject: x\r\nTLS-Required:\r\n  no\r\n\r\nbody\r\n"
	w := newSecureWorld(t, stsEnforce)
	srv := w.sink(nil)
	wantDelivered(t, w.deliver("bob@sts.test", msg, false), srv, false)

	w = newSecureWorld(t, stsEnforce)
	w.dane(dane.Record(3, 1, 1, testcert.Static().Leaf))
	srv = w.sink(nil)
	wantDelivered(t, w.deliver("bob@signed.test", msg, false), srv, false)
}

func TestTLSRequiredNoHeader(t *testing.T) {
	for msg, want := range map[string]bool{
		"TLS-Required: No\r\n\r\n":                true,
		"Subject: a\r\ntls-required:no \r\n\r\nx": true,
		"TLS-Required:\r\n\tNo\r\nX: y\r\n\r\n":   true,
		"TLS-Required: Yes\r\n\r\n":               false,
		"Subject: x\r\n\r\nTLS-Required: No\r\n":  false, // in the body
		"X-TLS-Required: No\r\n\r\n":              false,
		"TLS-Required: No thanks\r\n\r\n":         false,
	} {
		d := queue.NewDelivery("m", "", "example.test", nil, 0, func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(msg)), nil })
		if got := tlsRequiredNo(d); got != want {
			t.Errorf("tlsRequiredNo(%q) = %v", msg, got)
		}
	}
}

// TestTLSRPTCounts: sessions of several attempts add up per policy.
func TestTLSRPTCounts(t *testing.T) {
	w := newSecureWorld(t, strings.Replace(stsEnforce, "enforce", "testing", 1))
	cert := w.issue("mx.elsewhere.test")
	srv := w.sink(&cert)
	w.remote.MaxIdle = -1 // a session per message
	for range 3 {
		if res := w.deliver("bob@sts.test", testMsg, false); res.Status != queue.StatusDelivered {
			t.Fatalf("result %+v", res)
		}
	}
	if n := len(srv.Messages()); n != 3 {
		t.Fatalf("%d messages", n)
	}
	pols := w.report("sts.test")
	if len(pols) != 1 || pols[0].Summary != (tlsrpt.Summary{Failed: 3}) || len(pols[0].FailureDetails) != 1 {
		t.Fatalf("TLS-RPT: %+v", pols)
	}
	f := pols[0].FailureDetails[0]
	if f.Result != tlsrpt.ResultHostMismatch || f.Count != 3 || f.ReceivingMXHostname != "mx.sts.test" || f.ReceivingIP != "127.0.0.1" || f.SendingMTAIP != "127.0.0.1" {
		t.Errorf("failure details: %+v", f)
	}
}

func ptr[T any](v T) *T { return &v }

// TestRequireTLSEndToEnd: alice submits with REQUIRETLS over TLS; the
// Agent queues the flag, Remote finds no DANE or MTA-STS for the
// destination, and the message bounces back to alice's INBOX with
// 5.7.10 without reaching the MX.
func TestRequireTLSEndToEnd(t *testing.T) {
	srv, port := sink(t, true, func(s *smtptest.Server) { s.SMTP.EnableRequireTLS = true })
	m := openMTA(t, port, startDNS(t, testZone...))
	m.addr = serve(t, m.agent, func(s *smtp.Server) {
		s.TLSConfig = testcert.ServerConfig()
		s.EnableRequireTLS = true
	})
	c, err := smtp.Dial(m.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := t.Context()
	c.LocalName = "client.test"
	if err := c.StartTLS(ctx, testcert.StaticClientConfig()); err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(ctx, plainAuth("alice@example.org", testPassword)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, "alice@example.org", &smtp.MailOptions{RequireTLS: true}, []smtp.Recipient{{Address: "bob@example.test"}}, strings.NewReader(message("requiretls", 300))); err != nil {
		t.Fatal(err)
	}
	ev := m.events.wait(t, isEvent(queue.EventBounced, "bob@example.test"))
	if ev.Result.EnhancedCode != "5.7.10" {
		t.Errorf("bounced with %+v", ev.Result)
	}
	d := parseDSN(t, waitInbox(t, m.agent.Store, "alice", 1)[0])
	checkDSNFields(t, d.rcpts[0], map[string]string{"Status": "5.7.10", "Action": "failed"})
	if len(srv.Messages()) != 0 {
		t.Error("the message reached the MX")
	}
}
