package imap_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"golang.org/x/crypto/bcrypt"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/internal/saslmech"
	"github.com/mailwright/mailwright/mailbox"
)

// startTLS upgrades the connection with STARTTLS (client config cfg).
func (c *client) startTLS(cfg *tls.Config) {
	c.t.Helper()
	c.run(`
C: s1 STARTTLS
S: s1 OK Begin TLS negotiation now`)
	tc := tls.Client(c.conn, cfg)
	if err := tc.Handshake(); err != nil {
		c.t.Fatal(err)
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
}

// tlsState returns the client's TLS state (nil without TLS).
func (c *client) tlsState() *tls.ConnectionState {
	if tc, ok := c.conn.(*tls.Conn); ok {
		st := tc.ConnectionState()
		return &st
	}
	return nil
}

// authenticate runs AUTHENTICATE with the SASL client a, answering each
// "+" challenge, and returns the tagged response. Its exchange is logged
// as C:/S: lines, for a failing test.
func (c *client) authenticate(tag string, a sasl.Client, offered ...string) string {
	c.t.Helper()
	if b, ok := a.(saslmech.Binder); ok {
		b.Bind(c.tlsState(), offered)
	}
	mech, ir, err := a.Start()
	if err != nil {
		c.t.Fatal(err)
	}
	c.send(tag + " AUTHENTICATE " + mech + " " + base64.StdEncoding.EncodeToString(ir))
	for {
		line := c.readLine()
		ch, ok := strings.CutPrefix(line, "+ ")
		if !ok {
			if e, ok := a.(saslmech.Ender); ok && strings.HasPrefix(line, tag+" OK") {
				if err := e.End(nil); err != nil {
					c.t.Fatalf("client refuses the server's success: %v", err)
				}
			}
			return line
		}
		dec, err := base64.StdEncoding.DecodeString(ch)
		if err != nil {
			c.t.Fatalf("challenge %q: %v", line, err)
		}
		resp, err := a.Next(dec)
		if err != nil {
			c.t.Fatalf("client: %v", err)
		}
		c.send(base64.StdEncoding.EncodeToString(resp))
	}
}

func scram(user, password string) *saslmech.SCRAMClient {
	return &saslmech.SCRAMClient{Mech: saslmech.SHA256, Username: user, Password: password}
}

var bothSCRAM = []string{"SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"}

func TestAuthenticateSCRAM(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	if got := c.authenticate("a1", scram("alice", "wrong")); got != "a1 NO [AUTHENTICATIONFAILED] Authentication failed" {
		t.Fatalf("wrong password: %s", got)
	}
	if got := c.authenticate("a2", scram("mallory", "secret")); got != "a2 NO [AUTHENTICATIONFAILED] Authentication failed" {
		t.Fatalf("unknown user: %s", got)
	}
	if got := c.authenticate("a3", scram("Alice", "secret")); !match("a3 OK [CAPABILITY {*}] Logged in", got) {
		t.Fatalf("right password: %s", got)
	}
	c.run(`
C: a4 SELECT INBOX
S: * {*}
S: * {*}
S: * {*}
S: * {*}
S: * {*}
S: * {*}
S: a4 OK [READ-WRITE] SELECT completed`)
	for _, want := range []string{
		`level=WARN msg="login failed" proto=imap ip=127.0.0.1 user=alice method="AUTHENTICATE SCRAM-SHA-256"`,
		`level=WARN msg="login failed" proto=imap ip=127.0.0.1 user=mallory method="AUTHENTICATE SCRAM-SHA-256"`,
	} {
		if !ts.logs.Has(want) {
			t.Errorf("no log line %s", want)
		}
	}
	// Without TLS there is no -PLUS, and no channel binding flag 'p'.
	c = ts.dial(t)
	c.run(`
C: b1 AUTHENTICATE SCRAM-SHA-256-PLUS cD10bHMtZXhwb3J0ZXIsLG49YWxpY2Uscj1hYmM=
S: b1 NO Unsupported authentication mechanism`)
}

// TestAuthenticateSCRAMPlus: SCRAM-SHA-256-PLUS over TLS with each
// channel binding type, and the refusals that protect it.
func TestAuthenticateSCRAMPlus(t *testing.T) {
	srvTLS, cliTLS := testCert(t)
	ts := startServer(t, func(s *imap.Server) { s.TLSConfig = srvTLS })
	for _, tc := range []struct {
		version uint16
		kind    string
	}{
		{tls.VersionTLS13, saslmech.TLSExporter},
		{tls.VersionTLS13, saslmech.TLSServerEndPoint},
		{tls.VersionTLS12, saslmech.TLSUnique},
		{tls.VersionTLS12, saslmech.TLSServerEndPoint},
		{tls.VersionTLS12, ""}, // the client's choice: tls-exporter, with the extended master secret
	} {
		t.Run(tls.VersionName(tc.version)+" "+tc.kind, func(t *testing.T) {
			cfg := cliTLS.Clone()
			cfg.MaxVersion = tc.version
			c := ts.dial(t)
			c.startTLS(cfg)
			c.run(`
C: c1 CAPABILITY
S: * CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN AUTH=SCRAM-SHA-256-PLUS AUTH=SCRAM-SHA-256 {*}
S: c1 OK CAPABILITY completed`)
			cl := scram("alice", "wrong")
			cl.CBType = tc.kind
			if got := c.authenticate("a1", cl, bothSCRAM...); got != "a1 NO [AUTHENTICATIONFAILED] Authentication failed" {
				t.Fatalf("wrong password: %s", got)
			}
			cl = scram("alice", "secret")
			cl.CBType = tc.kind
			if got := c.authenticate("a2", cl, bothSCRAM...); !match("a2 OK [CAPABILITY {*}] Logged in", got) {
				t.Fatalf("right password: %s", got)
			}
		})
	}
	t.Run("downgrade", func(t *testing.T) {
		// A client that supports channel binding, told (by an attacker)
		// that the server has no -PLUS, says so with flag 'y'; the server,
		// which does offer it, refuses (RFC 5802 6).
		c := ts.dial(t)
		c.startTLS(cliTLS)
		if got := c.authenticate("a1", scram("alice", "secret"), "SCRAM-SHA-256"); got != "a1 NO [AUTHENTICATIONFAILED] Authentication failed" {
			t.Fatalf("downgraded login: %s", got)
		}
	})
	t.Run("channel binding mismatch", func(t *testing.T) {
		// The client binds to other data than this connection's (as it
		// would behind a man in the middle): refused at c=, before the
		// proof, so that the transcript is static.
		c := ts.dial(t)
		c.startTLS(cliTLS)
		first := base64.StdEncoding.EncodeToString([]byte("p=tls-exporter,,n=alice,r=clientnonce"))
		cbind := base64.StdEncoding.EncodeToString(append([]byte("p=tls-exporter,,"), make([]byte, 32)...))
		final := base64.StdEncoding.EncodeToString([]byte("c=" + cbind + ",r=clientnonce,p=AAAA"))
		c.run(`
C: a1 AUTHENTICATE SCRAM-SHA-256-PLUS ` + first + `
S: + {*}
C: ` + final + `
S: a1 NO [AUTHENTICATIONFAILED] Authentication failed`)
	})
	t.Run("binding type the connection lacks", func(t *testing.T) {
		c := ts.dial(t)
		c.startTLS(cliTLS) // TLS 1.3: no tls-unique
		first := base64.StdEncoding.EncodeToString([]byte("p=tls-unique,,n=alice,r=clientnonce"))
		c.run(`
C: a1 AUTHENTICATE SCRAM-SHA-256-PLUS ` + first + `
S: a1 NO [AUTHENTICATIONFAILED] Authentication failed`)
	})
}

// TestAuthenticateSCRAMMigration: an account without SCRAM credentials
// fails SCRAM like a wrong password, gets them at a password login, and
// can use SCRAM from then on.
func TestAuthenticateSCRAMMigration(t *testing.T) {
	dir := t.TempDir()
	accounts, err := mailbox.OpenAccountsFile(dir + "/accounts")
	if err != nil {
		t.Fatal(err)
	}
	accounts.Cost = bcrypt.MinCost
	// An accounts file of the old format: name:bcrypt-hash.
	accounts.Add("carol", "pw")
	ts := startServer(t, func(s *imap.Server) {
		b := s.Backend.(*mailbox.IMAPBackend)
		b.Auth = accounts
	})
	stripSCRAM(t, dir+"/accounts")
	c := ts.dial(t)
	if got := c.authenticate("a1", scram("carol", "pw")); got != "a1 NO [AUTHENTICATIONFAILED] Authentication failed" {
		t.Fatalf("before migration: %s", got)
	}
	c.run(`
C: a2 LOGIN carol pw
S: a2 OK [CAPABILITY {*}] Logged in`)
	c = ts.dial(t)
	if got := c.authenticate("a3", scram("carol", "pw")); !match("a3 OK [CAPABILITY {*}] Logged in", got) {
		t.Fatalf("after migration: %s", got)
	}
}

func TestAuthenticateOAuthBearer(t *testing.T) {
	ts := startServer(t, func(s *imap.Server) {
		s.Backend.(*mailbox.IMAPBackend).TokenVerifier = mailbox.TokenVerifierFunc(func(ctx context.Context, req mailbox.TokenRequest) (string, error) {
			if req.Token == "alice-token" {
				return "alice", nil
			}
			return "", &mailbox.TokenError{Status: "invalid_token", Scope: "mail"}
		})
	})
	c := ts.dial(t)
	c.run(`
C: a0 CAPABILITY
S: * CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN AUTH=SCRAM-SHA-256 AUTH=OAUTHBEARER {*}
S: a0 OK CAPABILITY completed`)
	bad := base64.StdEncoding.EncodeToString([]byte(saslmech.FormatOAuthBearer(saslmech.OAuthBearerMessage{AuthzID: "alice", Token: "stolen"})))
	good := base64.StdEncoding.EncodeToString([]byte(saslmech.FormatOAuthBearer(saslmech.OAuthBearerMessage{AuthzID: "alice", Host: "localhost", Port: 143, Token: "alice-token"})))
	otherUser := base64.StdEncoding.EncodeToString([]byte(saslmech.FormatOAuthBearer(saslmech.OAuthBearerMessage{AuthzID: "bob", Token: "alice-token"})))
	json := base64.StdEncoding.EncodeToString([]byte(`{"status":"invalid_token","scope":"mail"}`))
	// RFC 7628 3.2.2: the error as a challenge; the client answers %x01.
	c.run(`
C: a1 AUTHENTICATE OAUTHBEARER ` + bad + `
S: + ` + json + `
C: AQ==
S: a1 NO [AUTHENTICATIONFAILED] Authentication failed
C: a2 AUTHENTICATE OAUTHBEARER ` + otherUser + `
S: + eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=
C: AQ==
S: a2 NO [AUTHENTICATIONFAILED] Authentication failed
C: a3 AUTHENTICATE OAUTHBEARER ` + good + `
S: a3 OK [CAPABILITY {*}] Logged in`)
	if !ts.logs.Has(`level=WARN msg="login failed" proto=imap ip=127.0.0.1 user=alice method="AUTHENTICATE OAUTHBEARER"`) {
		t.Errorf("no log line for the refused token:\n%s", ts.logs)
	}
}

// stripSCRAM removes the SCRAM fields of an accounts file: the file of an
// older version.
func stripSCRAM(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if name, rest, ok := strings.Cut(line, ":"); ok {
			hash, _, _ := strings.Cut(rest, ":")
			line = name + ":" + hash
		}
		out = append(out, line)
	}
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
}
