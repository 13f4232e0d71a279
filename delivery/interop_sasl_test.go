package delivery

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"

	"github.com/mailwright/mailwright/internal/interop"
	"github.com/mailwright/mailwright/internal/testcert"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp"
)

// Independent SASL clients against SMTP AUTH: Cyrus IMAP's smtptest
// (Cyrus SASL), gsasl (GNU SASL), curl (its own OAUTHBEARER).

func TestInteropCyrusSCRAM(t *testing.T) {
	smtptest := interop.NeedCyrus(t, "smtptest")
	a := testAgent(t)
	cfg := testcert.ServerConfig()
	cfg.MaxVersion = tls.VersionTLS12 // Cyrus SASL binds with tls-unique
	addr := serve(t, a, func(s *smtp.Server) { s.TLSConfig = cfg })
	_, port, _ := strings.Cut(addr, ":")
	for _, tc := range []struct {
		name    string
		args    []string
		command string
		ok      bool
	}{
		{"without TLS", []string{"-m", "SCRAM-SHA-256", "-w", testPassword}, "AUTH SCRAM-SHA-256 biws", true},
		{"wrong password", []string{"-m", "SCRAM-SHA-256", "-w", "wrong"}, "AUTH SCRAM-SHA-256 biws", false},
		{"TLS, channel binding", []string{"-t", "", "-m", "SCRAM-SHA-256-PLUS", "-w", testPassword}, "AUTH SCRAM-SHA-256 cD10bHMtdW5pcXVl", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _ := interop.Output(t, "QUIT\r\n", smtptest, append(tc.args, "-a", "alice", "-p", port, "127.0.0.1")...)
			switch {
			case !strings.Contains(out, tc.command):
				t.Fatalf("smtptest did not send %q:\n%s", tc.command, out)
			case tc.ok != strings.Contains(out, "\nS: 235 "):
				t.Fatalf("smtptest: want success %v:\n%s", tc.ok, out)
			}
		})
	}
}

func TestInteropGSASLSCRAM(t *testing.T) {
	gsasl := interop.Need(t, "gsasl")
	addr := serve(t, testAgent(t), func(s *smtp.Server) { s.TLSConfig = testcert.ServerConfig() })
	certFile, _ := testcert.Files(t)
	for _, password := range []string{testPassword, "wrong"} {
		out, err := interop.Output(t, "", gsasl, "--smtp", "--verbose", "--x509-ca-file="+certFile, "--hostname=localhost",
			"-m", "SCRAM-SHA-256-PLUS", "-a", "alice", "-p", password, "--connect="+addr)
		if !strings.Contains(out, "AUTH SCRAM-SHA-256-PLUS") {
			t.Fatalf("gsasl did not use SCRAM-SHA-256-PLUS:\n%s", out)
		}
		if ok := err == nil && strings.Contains(out, "\n235 "); ok != (password == testPassword) {
			t.Fatalf("gsasl with password %q: %v\n%s", password, err, out)
		}
	}
}

func TestInteropCurlOAuthBearer(t *testing.T) {
	curl := interop.NeedCurl(t, "smtp")
	a := testAgent(t)
	a.TokenVerifier = mailbox.TokenVerifierFunc(func(_ context.Context, req mailbox.TokenRequest) (string, error) {
		if req.Token == "alice-token" {
			return "alice", nil
		}
		return "", mailbox.ErrInvalidToken
	})
	addr := serve(t, a)
	send := func(token string) (string, error) {
		return interop.Output(t, "Subject: token\r\n\r\nhello\r\n", curl, "-sS", "-v", "--oauth2-bearer", token, "-u", "alice:",
			"--mail-from", "alice@example.org", "--mail-rcpt", "bob@example.org", "--upload-file", "-", "smtp://"+addr)
	}
	if out, err := send("alice-token"); err != nil || !strings.Contains(out, "< 235 ") {
		t.Fatalf("good token: %v\n%s", err, out)
	}
	if out, err := send("stolen"); err == nil || !strings.Contains(out, "< 535 ") {
		t.Fatalf("bad token: %v\n%s", err, out)
	}
	if got := waitInbox(t, a.Store, "bob", 1); len(got) != 1 {
		t.Fatalf("bob has %d messages", len(got))
	}
}
