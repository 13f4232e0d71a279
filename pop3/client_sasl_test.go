package pop3_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net"
	"slices"
	"testing"

	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/internal/logtest"
	"github.com/mailwright/mailwright/internal/saslmech"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/pop3"
)

// The SCRAM and OAUTHBEARER clients against the server with
// mailbox.POP3Backend (its SASL mechanisms), over loopback.

// saslServer serves alice/secret from a memory store, with TLS for STLS
// and AllowInsecureAuth (for SCRAM without TLS); the token "alice-token"
// is alice's.
func saslServer(t *testing.T) (addr string, logs *logtest.Buffer) {
	t.Helper()
	accounts := mailbox.NewMemoryAccounts()
	accounts.Add("alice", "secret")
	backend := mailbox.NewPOP3Backend(mailbox.NewMemoryStore(), accounts)
	backend.TokenVerifier = mailbox.TokenVerifierFunc(func(_ context.Context, req mailbox.TokenRequest) (string, error) {
		if req.Token == "alice-token" {
			return "alice", nil
		}
		return "", mailbox.ErrInvalidToken
	})
	srvTLS, _, _, _ := testCert(t)
	logger, logs := logtest.New()
	srv := &pop3.Server{Backend: backend, TLSConfig: srvTLS, AllowInsecureAuth: true, Logger: logger}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String(), logs
}

// tlsClient dials addr and starts TLS of at most version.
func tlsClient(t *testing.T, addr string, version uint16) *pop3.Client {
	t.Helper()
	c := dialClient(t, addr)
	_, cfg, _, _ := testCert(t)
	cfg.MaxVersion = version
	if err := c.StartTLS(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return c
}

// offering hides mechanisms from a SCRAM client: what an attacker who
// strips SCRAM-SHA-256-PLUS from CAPA achieves.
type offering struct {
	*saslmech.SCRAMClient
	offered []string
}

func (o offering) Bind(cs *tls.ConnectionState, _ []string) { o.SCRAMClient.Bind(cs, o.offered) }

func TestClientSCRAM(t *testing.T) {
	addr, logs := saslServer(t)
	ctx := context.Background()
	t.Run("without TLS", func(t *testing.T) {
		c := dialClient(t, addr)
		err := c.Auth(ctx, pop3.NewSCRAMClient("alice", "wrong"))
		wantCode(t, err, "AUTH")
		if err := c.Auth(ctx, pop3.NewSCRAMClient("alice", "secret")); err != nil {
			t.Fatal(err)
		}
		if !logs.Has(`level=WARN msg="login failed" proto=pop3 ip=127.0.0.1 user=alice method="AUTH SCRAM-SHA-256"`) {
			t.Errorf("no log line for the failure:\n%s", logs)
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
			c := tlsClient(t, addr, tc.version)
			caps, err := c.Capabilities(ctx)
			if err != nil || !slices.Equal(caps["SASL"], []string{"PLAIN", "LOGIN", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "OAUTHBEARER"}) {
				t.Fatalf("CAPA SASL %v, %v", caps["SASL"], err)
			}
			wrong := &saslmech.SCRAMClient{Mech: saslmech.SHA256, Username: "alice", Password: "wrong", CBType: tc.kind}
			wantCode(t, c.Auth(ctx, wrong), "AUTH")
			right := &saslmech.SCRAMClient{Mech: saslmech.SHA256, Username: "alice", Password: "secret", CBType: tc.kind}
			if err := c.Auth(ctx, right); err != nil {
				t.Fatal(err)
			}
			if n, _, err := c.Stat(ctx); err != nil || n != 0 {
				t.Fatalf("STAT after login: %d %v", n, err)
			}
		})
	}
	if !logs.Has(`level=WARN msg="login failed" proto=pop3 ip=127.0.0.1 user=alice method="AUTH SCRAM-SHA-256-PLUS"`) {
		t.Errorf("no log line for the -PLUS failure:\n%s", logs)
	}
	t.Run("downgrade", func(t *testing.T) {
		c := tlsClient(t, addr, tls.VersionTLS13)
		cl := offering{&saslmech.SCRAMClient{Mech: saslmech.SHA256, Username: "alice", Password: "secret"}, []string{"SCRAM-SHA-256"}}
		wantCode(t, c.Auth(ctx, cl), "AUTH")
	})
	t.Run("channel binding mismatch", func(t *testing.T) {
		c := dial(t, addr)
		_, cfg, _, _ := testCert(t)
		c.run(`
S: +OK *
C: STLS
S: +OK *`)
		c.startTLS(cfg)
		first := base64.StdEncoding.EncodeToString([]byte("p=tls-exporter,,n=alice,r=clientnonce"))
		cbind := base64.StdEncoding.EncodeToString(append([]byte("p=tls-exporter,,"), make([]byte, 32)...))
		final := base64.StdEncoding.EncodeToString([]byte("c=" + cbind + ",r=clientnonce,p=AAAA"))
		c.run(`
C: AUTH SCRAM-SHA-256-PLUS ` + first + `
S: + *
C: ` + final + `
S: -ERR [AUTH] Authentication failed`)
	})
}

func TestClientOAuthBearer(t *testing.T) {
	addr, _ := saslServer(t)
	ctx := context.Background()
	c := tlsClient(t, addr, tls.VersionTLS13)
	err := c.Auth(ctx, pop3.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: "alice", Token: "stolen"}))
	wantCode(t, err, "AUTH")
	var oe *sasl.OAuthBearerError
	if !errors.As(err, &oe) || oe.Status != "invalid_token" {
		t.Fatalf("refusal without the server's status: %v", err)
	}
	if err := c.Auth(ctx, pop3.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: "alice", Token: "alice-token", Host: "localhost", Port: 110})); err != nil {
		t.Fatal(err)
	}
}
