package delivery

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/internal/logtest"
	"github.com/mailwright/mailwright/internal/saslmech"
	"github.com/mailwright/mailwright/internal/testcert"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/smtp"
)

// SMTP AUTH with SCRAM-SHA-256(-PLUS) and OAUTHBEARER: smtp.Client
// against an Agent over loopback.

// saslAgent serves an Agent with STARTTLS and a TokenVerifier
// ("alice-token" is alice's) and returns its address and the server log.
func saslAgent(t *testing.T) (string, *logtest.Buffer) {
	a := testAgent(t)
	a.TokenVerifier = mailbox.TokenVerifierFunc(func(_ context.Context, req mailbox.TokenRequest) (string, error) {
		if req.Token == "alice-token" {
			return "alice", nil
		}
		return "", &mailbox.TokenError{Status: "invalid_token", Scope: "smtp"}
	})
	logger, logs := logtest.New()
	addr := serve(t, a, func(s *smtp.Server) { s.TLSConfig = testcert.ServerConfig(); s.Logger = logger })
	return addr, logs
}

// smtpClient dials addr, with STARTTLS of at most version unless it is 0.
func smtpClient(t *testing.T, addr string, version uint16) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if version != 0 {
		cfg := testcert.StaticClientConfig()
		cfg.MaxVersion = version
		if err := c.StartTLS(t.Context(), cfg); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func wantAuthFailed(t *testing.T, err error) {
	t.Helper()
	var se *smtp.Error
	if !errors.As(err, &se) || se.Code != 535 {
		t.Fatalf("got %v, want 535", err)
	}
}

// offering hides mechanisms from a SCRAM client: what an attacker who
// strips SCRAM-SHA-256-PLUS from the EHLO reply achieves.
type offering struct {
	*saslmech.SCRAMClient
	offered []string
}

func (o offering) Bind(cs *tls.ConnectionState, _ []string) { o.SCRAMClient.Bind(cs, o.offered) }

func TestAuthSCRAM(t *testing.T) {
	addr, logs := saslAgent(t)
	t.Run("without TLS", func(t *testing.T) {
		c := smtpClient(t, addr, 0)
		if !c.SupportsAuth("SCRAM-SHA-256") || c.SupportsAuth("SCRAM-SHA-256-PLUS") {
			t.Fatal("without TLS: SCRAM-SHA-256 and no -PLUS expected")
		}
		wantAuthFailed(t, c.Auth(t.Context(), smtp.NewSCRAMClient("alice", "wrong")))
		wantAuthFailed(t, c.Auth(t.Context(), smtp.NewSCRAMClient("nobody", testPassword)))
		if err := c.Auth(t.Context(), smtp.NewSCRAMClient("alice@example.org", testPassword)); err != nil {
			t.Fatal(err)
		}
		// Authenticated: relaying is allowed.
		if err := c.Mail(t.Context(), "alice@example.org", nil); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			`level=WARN msg="login failed" proto=smtp ip=127.0.0.1 user=alice method="AUTH SCRAM-SHA-256"`,
			`level=WARN msg="login failed" proto=smtp ip=127.0.0.1 user=nobody method="AUTH SCRAM-SHA-256"`,
		} {
			if !logs.Has(want) {
				t.Errorf("no log line %s:\n%s", want, logs)
			}
		}
	})
	for _, tc := range []struct {
		version uint16
		kind    string
	}{
		{tls.VersionTLS13, ""}, // the client's choice: tls-exporter
		{tls.VersionTLS13, saslmech.TLSServerEndPoint},
		{tls.VersionTLS12, saslmech.TLSUnique},
		{tls.VersionTLS12, saslmech.TLSServerEndPoint},
	} {
		t.Run(tls.VersionName(tc.version)+" "+tc.kind, func(t *testing.T) {
			c := smtpClient(t, addr, tc.version)
			if !c.SupportsAuth("SCRAM-SHA-256-PLUS") {
				t.Fatal("no SCRAM-SHA-256-PLUS over TLS")
			}
			wrong := &saslmech.SCRAMClient{Mech: saslmech.SHA256, Username: "alice", Password: "wrong", CBType: tc.kind}
			wantAuthFailed(t, c.Auth(t.Context(), wrong))
			right := &saslmech.SCRAMClient{Mech: saslmech.SHA256, Username: "alice", Password: testPassword, CBType: tc.kind}
			if err := c.Auth(t.Context(), right); err != nil {
				t.Fatal(err)
			}
		})
	}
	if !logs.Has(`level=WARN msg="login failed" proto=smtp ip=127.0.0.1 user=alice method="AUTH SCRAM-SHA-256-PLUS"`) {
		t.Errorf("no log line for the -PLUS failure:\n%s", logs)
	}
	t.Run("downgrade", func(t *testing.T) {
		c := smtpClient(t, addr, tls.VersionTLS13)
		cl := offering{&saslmech.SCRAMClient{Mech: saslmech.SHA256, Username: "alice", Password: testPassword}, []string{"SCRAM-SHA-256"}}
		wantAuthFailed(t, c.Auth(t.Context(), cl))
	})
	t.Run("channel binding mismatch", func(t *testing.T) {
		conn := dial(t, addr)
		br := bufio.NewReader(conn)
		transcript(t, conn, br, `
			S: 220 *
			C: STARTTLS
			S: 220 *`)
		tc := tls.Client(conn, testcert.StaticClientConfig())
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		first := base64.StdEncoding.EncodeToString([]byte("p=tls-exporter,,n=alice,r=clientnonce"))
		cbind := base64.StdEncoding.EncodeToString(append([]byte("p=tls-exporter,,"), make([]byte, 32)...))
		final := base64.StdEncoding.EncodeToString([]byte("c=" + cbind + ",r=clientnonce,p=AAAA"))
		transcript(t, tc, bufio.NewReader(tc), `
			C: EHLO client.test
			S: 250-mx.example.org*
			S: 250-*
			S: 250-*
			S: 250-*
			S: 250-*
			S: 250-*
			S: 250-*
			S: 250-*
			S: 250-*
			S: 250 AUTH PLAIN LOGIN SCRAM-SHA-256-PLUS SCRAM-SHA-256 OAUTHBEARER
			C: AUTH SCRAM-SHA-256-PLUS `+first+`
			S: 334 *
			C: `+final+`
			S: 535 5.7.8 *`)
	})
}

func TestAuthOAuthBearer(t *testing.T) {
	addr, logs := saslAgent(t)
	c := smtpClient(t, addr, tls.VersionTLS13)
	err := c.Auth(t.Context(), smtp.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: "alice", Token: "stolen"}))
	wantAuthFailed(t, err)
	var oe *sasl.OAuthBearerError
	if !errors.As(err, &oe) || oe.Status != "invalid_token" || oe.Scope != "smtp" {
		t.Fatalf("refusal without the server's status: %v", err)
	}
	if !logs.Has(`level=WARN msg="login failed" proto=smtp ip=127.0.0.1 user=alice method="AUTH OAUTHBEARER"`) {
		t.Errorf("no log line:\n%s", logs)
	}
	if err := c.Auth(t.Context(), smtp.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Token: "alice-token"})); err != nil {
		t.Fatal(err)
	}
}
