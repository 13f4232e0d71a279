package imap_test

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/internal/interop"
	"github.com/mailwright/mailwright/internal/testcert"
	"github.com/mailwright/mailwright/mailbox"
)

// Independent SASL clients against AUTHENTICATE: Cyrus IMAP's imtest
// (Cyrus SASL), gsasl (GNU SASL, which mutt uses too), curl (its own
// OAUTHBEARER).

func TestInteropCyrusSCRAM(t *testing.T) {
	imtest := interop.NeedCyrus(t, "imtest")
	srvTLS, _ := testCert(t)
	// Cyrus SASL binds with tls-unique, which TLS 1.3 does not have.
	srvTLS.MaxVersion = tls.VersionTLS12
	ts := startServer(t, func(s *imap.Server) { s.TLSConfig = srvTLS })
	_, port, _ := strings.Cut(ts.addr, ":")
	for _, tc := range []struct {
		name    string
		args    []string
		command string // the AUTHENTICATE line imtest must send
		ok      bool
	}{
		{"without TLS", []string{"-m", "SCRAM-SHA-256", "-w", "secret"}, "AUTHENTICATE SCRAM-SHA-256 biws", true},
		{"wrong password", []string{"-m", "SCRAM-SHA-256", "-w", "wrong"}, "AUTHENTICATE SCRAM-SHA-256 biws", false},
		{"TLS", []string{"-t", "", "-m", "SCRAM-SHA-256", "-w", "secret"}, "AUTHENTICATE SCRAM-SHA-256 biws", true},
		// Cyrus names the mechanism without -PLUS, with p=tls-unique.
		{"TLS, channel binding", []string{"-t", "", "-m", "SCRAM-SHA-256-PLUS", "-w", "secret"}, "AUTHENTICATE SCRAM-SHA-256 cD10bHMtdW5pcXVl", true},
		{"TLS, channel binding, wrong password", []string{"-t", "", "-m", "SCRAM-SHA-256-PLUS", "-w", "wrong"}, "AUTHENTICATE SCRAM-SHA-256 cD10bHMtdW5pcXVl", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(tc.args, "-a", "alice", "-p", port, "127.0.0.1")
			out, _ := interop.Output(t, "z LOGOUT\r\n", imtest, args...)
			switch {
			case !strings.Contains(out, tc.command):
				t.Fatalf("imtest did not send %q:\n%s", tc.command, out)
			case tc.ok && !strings.Contains(out, "\nAuthenticated."):
				t.Fatalf("imtest did not authenticate:\n%s", out)
			case !tc.ok && (strings.Contains(out, "\nAuthenticated.") || !strings.Contains(out, "NO [AUTHENTICATIONFAILED]")):
				t.Fatalf("imtest authenticated with a wrong password:\n%s", out)
			}
		})
	}
}

func TestInteropGSASLSCRAM(t *testing.T) {
	gsasl := interop.Need(t, "gsasl")
	srvTLS, _ := testCert(t)
	ts := startServer(t, func(s *imap.Server) { s.TLSConfig = srvTLS })
	tls12 := srvTLS.Clone()
	tls12.MaxVersion = tls.VersionTLS12
	ts12 := startServer(t, func(s *imap.Server) { s.TLSConfig = tls12 })
	certFile, _ := testcert.Files(t)
	const (
		exporter = "cD10bHMtZXhwb3J0ZXIs" // base64 of "p=tls-exporter,"
		unique   = "cD10bHMtdW5pcXVlLC"   // "p=tls-unique,"
		none     = "biws"                 // "n,,"
	)
	for _, tc := range []struct {
		name, mech, password string
		ts                   *testServer
		tls                  []string
		gs2                  string // the start of the client's first message
		ok                   bool
	}{
		{"TLS 1.3, tls-exporter", "SCRAM-SHA-256-PLUS", "secret", ts, []string{"--x509-ca-file=" + certFile, "--hostname=localhost"}, exporter, true},
		{"TLS 1.3, wrong password", "SCRAM-SHA-256-PLUS", "wrong", ts, []string{"--x509-ca-file=" + certFile, "--hostname=localhost"}, exporter, false},
		{"TLS 1.2, tls-unique", "SCRAM-SHA-256-PLUS", "secret", ts12, []string{"--x509-ca-file=" + certFile, "--hostname=localhost"}, unique, true},
		{"without TLS", "SCRAM-SHA-256", "secret", ts, []string{"--no-starttls"}, none, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(tc.tls, "--imap", "--verbose", "-m", tc.mech, "-a", "alice", "-p", tc.password, "--connect="+tc.ts.addr)
			out, err := interop.Output(t, "", gsasl, args...)
			if !strings.Contains(out, ". AUTHENTICATE "+tc.mech) || !strings.Contains(out, "\n"+tc.gs2) {
				t.Fatalf("gsasl did not use %s with %s:\n%s", tc.mech, tc.gs2, out)
			}
			if ok := err == nil && strings.Contains(out, "\n. OK [CAPABILITY"); ok != tc.ok {
				t.Fatalf("gsasl: %v, want success %v:\n%s", err, tc.ok, out)
			}
		})
	}
}

func TestInteropCurlOAuthBearer(t *testing.T) {
	curl := interop.NeedCurl(t, "imap")
	ts := startServer(t, func(s *imap.Server) {
		s.Backend.(*mailbox.IMAPBackend).TokenVerifier = mailbox.TokenVerifierFunc(func(_ context.Context, req mailbox.TokenRequest) (string, error) {
			if req.Token == "alice-token" {
				return "alice", nil
			}
			return "", mailbox.ErrInvalidToken
		})
	})
	out, err := interop.Output(t, "", curl, "-sS", "-v", "--oauth2-bearer", "alice-token", "-u", "alice:", "imap://"+ts.addr+"/")
	if err != nil || !strings.Contains(out, "< A002 OK [CAPABILITY") {
		t.Fatalf("curl with a good token: %v\n%s", err, out)
	}
	if !strings.Contains(out, "AUTHENTICATE OAUTHBEARER") {
		t.Fatalf("curl did not use OAUTHBEARER:\n%s", out)
	}
	out, err = interop.Output(t, "", curl, "-sS", "-v", "--oauth2-bearer", "stolen", "-u", "alice:", "imap://"+ts.addr+"/")
	if err == nil || !strings.Contains(out, "NO [AUTHENTICATIONFAILED]") {
		t.Fatalf("curl with a bad token: %v\n%s", err, out)
	}
}
