package throttle_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"

	"github.com/mailwright/mailwright/internal/loopback"
	"github.com/mailwright/mailwright/internal/saslmech"
	"github.com/mailwright/mailwright/mailbox/throttle"
)

// saslProto is how one protocol runs a SASL exchange, for tests that
// speak all three.
type saslProto struct {
	name      string
	addr      func(*servers) string
	hello     string // the transcript up to the AUTH command
	auth      string // the AUTH command before its mechanism
	challenge string // what a challenge line starts with
	blocked   string // the refusal of a login that the limiter blocks
	failed    string // the refusal of a wrong password ("*": a prefix)
	ok        string // the success ("*": a prefix)
	quit      string // the transcript that ends a session
}

var saslProtos = []saslProto{
	{name: "smtp", addr: func(s *servers) string { return s.smtp },
		hello: "S: 220 *\nC: EHLO client.example\nS...: 250 *", auth: "AUTH", challenge: "334 ",
		blocked: "454 4.7.0 Too many failed logins; try again later", failed: "535 5.7.8 *", ok: "235 2.7.0 *",
		quit: "C: QUIT\nS: 221 *"},
	{name: "imap", addr: func(s *servers) string { return s.imap },
		hello: "S: * OK *", auth: "a AUTHENTICATE", challenge: "+ ",
		blocked: "a NO [UNAVAILABLE] Too many failed logins; try again later", failed: "a NO [AUTHENTICATIONFAILED] *", ok: "a OK *",
		quit: "C: b LOGOUT\nS: * BYE *\nS: b OK *"},
	{name: "pop3", addr: func(s *servers) string { return s.pop3 },
		hello: "S: +OK *", auth: "AUTH", challenge: "+ ",
		blocked: "-ERR [SYS/TEMP] Too many failed logins; try again later", failed: "-ERR [AUTH] *", ok: "+OK Logged in*",
		quit: "C: QUIT\nS: +OK *"},
}

// login runs the SASL client a from the address from, its first message
// on the AUTH line, and returns the server's verdict and how many
// challenges came before it; then it ends the session (POP3 unlocks the
// maildrop for the next login).
func (p saslProto) login(t *testing.T, s *servers, from string, a sasl.Client) (verdict string, challenges int) {
	t.Helper()
	c := loopback.DialClient(t, from, p.addr(s))
	c.Run(p.hello)
	mech, ir, err := a.Start()
	if err != nil {
		t.Fatal(err)
	}
	c.Send(p.auth + " " + mech + " " + base64.StdEncoding.EncodeToString(ir))
	for {
		line := c.ReadLine()
		ch, ok := strings.CutPrefix(line, p.challenge)
		if !ok {
			c.Run(p.quit)
			return line, challenges
		}
		challenges++
		dec, err := base64.StdEncoding.DecodeString(ch)
		if err != nil {
			t.Fatalf("challenge %q: %v", line, err)
		}
		resp, err := a.Next(dec)
		if err != nil {
			t.Fatalf("client: %v", err)
		}
		c.Send(base64.StdEncoding.EncodeToString(resp))
	}
}

// want fails the test unless verdict is want, or starts with want's text
// before a final "*".
func want(t *testing.T, what, verdict, want string) {
	t.Helper()
	prefix, ok := strings.CutSuffix(want, "*")
	if verdict != want && !(ok && strings.HasPrefix(verdict, prefix)) {
		t.Fatalf("%s: got %q, want %q", what, verdict, want)
	}
}

func scramClient(user, password string) sasl.Client {
	return &saslmech.SCRAMClient{Mech: saslmech.SHA256, Username: user, Password: password}
}

// SCRAM-SHA-256 and OAUTHBEARER meet the LoginLimiter as PLAIN does, on
// each protocol: SCRAM failures count and a SCRAM success clears the
// address's count; once the address is blocked, AUTH SCRAM-SHA-256 (and
// OAUTHBEARER) with the right credentials is refused on its command line,
// before the accounts or the TokenVerifier see anything, while another
// address logs in.
func TestSCRAMBlockedAddress(t *testing.T) {
	const attacker = "127.0.0.2"
	for _, p := range saslProtos {
		t.Run(p.name, func(t *testing.T) {
			s := startServers(t, &throttle.Logins{MaxFailures: 3, Delay: -1})
			for range 2 {
				v, _ := p.login(t, s, attacker, scramClient("alice", "guess"))
				want(t, "wrong password", v, p.failed)
			}
			v, _ := p.login(t, s, attacker, scramClient("alice", "secret"))
			want(t, "right password, before the block", v, p.ok)
			// The success cleared the count: three more failures to block.
			for range 3 {
				v, _ := p.login(t, s, attacker, scramClient("alice", "guess"))
				want(t, "wrong password after a success", v, p.failed)
			}

			checked := s.checks.Load()
			v, n := p.login(t, s, attacker, scramClient("alice", "secret"))
			want(t, "SCRAM from a blocked address", v, p.blocked)
			if n != 0 {
				t.Errorf("SCRAM from a blocked address: %d challenges before the refusal, want none", n)
			}
			v, n = p.login(t, s, attacker, saslmech.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Token: aliceToken}))
			want(t, "OAUTHBEARER from a blocked address", v, p.blocked)
			if n != 0 {
				t.Errorf("OAUTHBEARER from a blocked address: %d challenges before the refusal, want none", n)
			}
			if n := s.checks.Load() - checked; n != 0 {
				t.Errorf("%d credentials or tokens of a blocked address were looked at", n)
			}

			v, _ = p.login(t, s, "127.0.0.1", scramClient("alice", "secret"))
			want(t, "SCRAM from another address", v, p.ok)

			if n := s.logs.Count(`msg="login failed" proto=` + p.name + ` ip=127.0.0.2 user=alice method=`); n != 5 {
				t.Errorf("%d login failed lines, want 5:\n%s", n, s.logs)
			}
			for _, mech := range []string{"SCRAM-SHA-256", "OAUTHBEARER"} {
				if s.logs.Count(`msg="login blocked" proto=`+p.name+` ip=127.0.0.2 user="" method="`+strings.TrimPrefix(p.auth, "a ")+` `+mech+`"`) != 1 {
					t.Errorf("no login blocked line for %s:\n%s", mech, s.logs)
				}
			}
		})
	}
}

// An account blocked by failures from many addresses: SCRAM from an
// address it never logged in from is refused once the client's first
// message names the user, before its proof is checked, even with the
// right password; an address it logged in from with SCRAM before gets
// through.
func TestSCRAMBlockedAccount(t *testing.T) {
	for _, p := range saslProtos {
		t.Run(p.name, func(t *testing.T) {
			s := startServers(t, &throttle.Logins{MaxFailures: 10, MaxAccountFailures: 3, Delay: -1})
			v, _ := p.login(t, s, "127.0.0.1", scramClient("alice", "secret"))
			want(t, "login before the block", v, p.ok)
			for _, from := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
				v, _ := p.login(t, s, from, scramClient("alice", "guess"))
				want(t, "wrong password from "+from, v, p.failed)
			}
			v, n := p.login(t, s, "127.0.0.5", scramClient("alice", "secret"))
			want(t, "SCRAM of a blocked account", v, p.blocked)
			if n != 1 {
				t.Errorf("SCRAM of a blocked account: refused after %d challenges, want 1 (the server's first message)", n)
			}
			if s.logs.Count(`msg="login blocked" proto=`+p.name+` ip=127.0.0.5 user=alice method=`) != 1 {
				t.Errorf("no login blocked line naming alice:\n%s", s.logs)
			}
			v, _ = p.login(t, s, "127.0.0.1", scramClient("alice", "secret"))
			want(t, "SCRAM from an address the account logged in from", v, p.ok)
		})
	}
}
