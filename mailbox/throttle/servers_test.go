package throttle_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailwright/mailwright/delivery"
	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/internal/logtest"
	"github.com/mailwright/mailwright/internal/loopback"
	"github.com/mailwright/mailwright/mailbox"
	"github.com/mailwright/mailwright/mailbox/throttle"
	"github.com/mailwright/mailwright/pop3"
	"github.com/mailwright/mailwright/smtp"
)

// servers are SMTP, IMAP and POP3 servers on loopback over one store and
// one set of accounts (alice/secret), sharing one Logins.
type servers struct {
	smtp, imap, pop3 string // addresses
	logs             *logtest.Buffer
	checks           *atomic.Int64 // passwords, SCRAM credentials and tokens that the accounts and the TokenVerifier looked at
}

// countingAccounts counts the passwords, and the SCRAM credentials asked
// for, that reach the accounts.
type countingAccounts struct {
	*mailbox.MemoryAccounts
	n *atomic.Int64
}

func (c countingAccounts) Authenticate(ctx context.Context, user, pass string) (string, error) {
	c.n.Add(1)
	return c.MemoryAccounts.Authenticate(ctx, user, pass)
}

func (c countingAccounts) SCRAMCredentials(ctx context.Context, user string) (string, mailbox.SCRAMCredentials, error) {
	c.n.Add(1)
	return c.MemoryAccounts.SCRAMCredentials(ctx, user)
}

// aliceToken is the OAUTHBEARER token of alice.
const aliceToken = "alice-token"

// countingVerifier accepts aliceToken and counts the tokens it checks.
func countingVerifier(n *atomic.Int64) mailbox.TokenVerifier {
	return mailbox.TokenVerifierFunc(func(_ context.Context, req mailbox.TokenRequest) (string, error) {
		n.Add(1)
		if req.Token == aliceToken {
			return "alice", nil
		}
		return "", &mailbox.TokenError{Status: "invalid_token"}
	})
}

func startServers(t *testing.T, logins *throttle.Logins) *servers {
	t.Helper()
	memory := mailbox.NewMemoryAccounts("example.org")
	memory.Add("alice", "secret")
	s := &servers{checks: new(atomic.Int64)}
	accounts := countingAccounts{memory, s.checks}
	store := mailbox.NewMemoryStore()
	logger, logs := logtest.New()
	s.logs = logs
	listen := func() net.Listener {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	serve := func(addr *string, serve func(net.Listener) error, closeFn func() error, closed error) {
		l := listen()
		*addr = l.Addr().String()
		done := make(chan error, 1)
		go func() { done <- serve(l) }()
		t.Cleanup(func() {
			closeFn()
			if err := <-done; !errors.Is(err, closed) {
				t.Errorf("serve %s: %v", *addr, err)
			}
		})
	}
	verifier := countingVerifier(s.checks)
	ss := &smtp.Server{Backend: &delivery.Agent{Accounts: accounts, Store: store, TokenVerifier: verifier, Logger: logger},
		AllowInsecureAuth: true, LoginLimiter: logins, Logger: logger}
	ib := mailbox.NewIMAPBackend(store, accounts)
	ib.TokenVerifier = verifier
	is := &imap.Server{Backend: ib, AllowInsecureAuth: true, LoginLimiter: logins, Logger: logger}
	pb := mailbox.NewPOP3Backend(store, accounts)
	pb.TokenVerifier = verifier
	ps := &pop3.Server{Backend: pb, AllowInsecureAuth: true, LoginLimiter: logins, Logger: logger}
	serve(&s.smtp, ss.Serve, ss.Close, smtp.ErrServerClosed)
	serve(&s.imap, is.Serve, is.Close, imap.ErrServerClosed)
	serve(&s.pop3, ps.Serve, ps.Close, pop3.ErrServerClosed)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	return s
}

func plain(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}

// The logins of one session on each protocol, from the address from:
// the password and the replies expected.
func (s *servers) smtpLogin(t *testing.T, from, pass, want string) {
	c := loopback.DialClient(t, from, s.smtp)
	c.Run(`
		S: 220 *
		C: EHLO client.example
		S...: 250 *
		C: AUTH PLAIN ` + plain("alice", pass) + `
		S: ` + want + `
		C: QUIT
		S: 221 *`)
}

func (s *servers) imapLogin(t *testing.T, from, pass, want string) {
	c := loopback.DialClient(t, from, s.imap)
	c.Run(`
		S: * OK *
		C: a LOGIN alice ` + pass + `
		S: ` + want + `
		C: b LOGOUT
		S: * BYE *
		S: b OK *`)
}

func (s *servers) pop3Login(t *testing.T, from, pass, want string) {
	c := loopback.DialClient(t, from, s.pop3)
	c.Run(`
		S: +OK *
		C: USER alice
		S: +OK *
		C: PASS ` + pass + `
		S: ` + want + `
		C: QUIT
		S: +OK *`)
}

// The same password guessed over SMTP, IMAP and POP3 from many sessions
// of one address: once the failures add up to MaxFailures the address is
// refused on all three, even with the right password, which the accounts
// (and their login cache) never see, while another address logs in; after
// BlockFor it may log in again.
func TestGuessingBlockedAcrossProtocols(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	logins := &throttle.Logins{MaxFailures: 6, Delay: -1, Now: clock}
	s := startServers(t, logins)
	const attacker = "127.0.0.2"

	for range 2 {
		s.smtpLogin(t, attacker, "guess", "535 5.7.8 Authentication credentials invalid")
		s.imapLogin(t, attacker, "guess", "a NO [AUTHENTICATIONFAILED] *")
		s.pop3Login(t, attacker, "guess", "-ERR [AUTH] *")
	}
	checked := s.checks.Load()
	s.smtpLogin(t, attacker, "secret", "454 4.7.0 Too many failed logins; try again later")
	s.imapLogin(t, attacker, "secret", "a NO [UNAVAILABLE] Too many failed logins; try again later")
	s.pop3Login(t, attacker, "secret", "-ERR [SYS/TEMP] Too many failed logins; try again later")
	if n := s.checks.Load() - checked; n != 0 {
		t.Errorf("%d passwords of a blocked address reached the accounts (and their cache)", n)
	}

	s.imapLogin(t, "127.0.0.1", "secret", "a OK *")

	mu.Lock()
	now = now.Add(throttle.DefaultBlockFor)
	mu.Unlock()
	s.smtpLogin(t, attacker, "secret", "235 2.7.0 Authentication successful")
	s.imapLogin(t, attacker, "secret", "a OK *")
	s.pop3Login(t, attacker, "secret", "+OK Logged in*")

	for _, proto := range []string{"smtp", "imap", "pop3"} {
		if n := s.logs.Count(`msg="login failed" proto=` + proto + ` ip=127.0.0.2 user=alice`); n != 2 {
			t.Errorf("%s: %d login failed lines, want 2", proto, n)
		}
		if n := s.logs.Count(`msg="login blocked" proto=` + proto + ` ip=127.0.0.2`); n == 0 {
			t.Errorf("%s: no login blocked line", proto)
		}
	}
}
