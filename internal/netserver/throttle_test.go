package netserver

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mailwright/mailwright/internal/logtest"
)

// stubLimiter blocks the user "blocked" and asks for a fixed delay.
type stubLimiter struct {
	delay  time.Duration
	failed []string
}

func (s *stubLimiter) LoginAllowed(ctx context.Context, ip netip.Addr, user string) error {
	if user == "blocked" {
		return errors.New("Too many failed logins")
	}
	return nil
}

func (s *stubLimiter) LoginFailed(ctx context.Context, ip netip.Addr, user string) time.Duration {
	s.failed = append(s.failed, ip.String()+" "+user)
	return s.delay
}

func (s *stubLimiter) LoginSucceeded(ctx context.Context, ip netip.Addr, user string) {}

// Failed waits the limiter's delay (or until the context ends), and both
// refusals and failures are logged with protocol, address and user.
func TestLoginsLogAndDelay(t *testing.T) {
	logger, logs := logtest.New()
	lim := &stubLimiter{delay: 50 * time.Millisecond}
	l := Logins{Limiter: lim, Logger: logger, Proto: "imap"}
	remote := &net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.7"), Port: 993}
	ctx := context.Background()
	if !l.Allowed(ctx, remote, "alice", "LOGIN") || l.Allowed(ctx, remote, "blocked", "LOGIN") {
		t.Error("Allowed does not follow the limiter")
	}
	start := time.Now()
	l.Failed(ctx, remote, "alice", "LOGIN")
	if waited := time.Since(start); waited < lim.delay {
		t.Errorf("Failed returned after %v, before the delay of %v", waited, lim.delay)
	}
	lim.delay = time.Hour
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	l.Failed(cancelled, remote, "alice", "LOGIN") // returns at once: the test would time out
	if len(lim.failed) != 2 || lim.failed[0] != "192.0.2.7 alice" {
		t.Errorf("limiter told of %q", lim.failed)
	}
	for _, want := range []string{
		`level=WARN msg="login blocked" proto=imap ip=192.0.2.7 user=blocked method=LOGIN reason="Too many failed logins"`,
		`level=WARN msg="login failed" proto=imap ip=192.0.2.7 user=alice method=LOGIN`,
	} {
		if !logs.Has(want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	// Without a limiter, only the failure is logged.
	Logins{Logger: logger, Proto: "pop3"}.Failed(ctx, remote, "bob", "PASS")
	if !logs.Has(`level=WARN msg="login failed" proto=pop3 ip=192.0.2.7 user=bob method=PASS`) {
		t.Errorf("no failure line without a limiter:\n%s", logs)
	}
}
