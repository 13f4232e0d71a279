package throttle

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

var ctx = context.Background()

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// Each failure of a source waits longer before its answer; the
// MaxFailures-th blocks the source, also for other names and for a right
// password, until BlockFor has passed.
func TestLoginsDelayThenBlock(t *testing.T) {
	clk := newFakeClock()
	l := &Logins{MaxFailures: 5, Now: clk.Now}
	ip := addr("192.0.2.7")
	var delays []time.Duration
	for range 5 {
		if err := l.LoginAllowed(ctx, ip, "alice"); err != nil {
			t.Fatalf("blocked after %d failures: %v", len(delays), err)
		}
		delays = append(delays, l.LoginFailed(ctx, ip, "alice"))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
	for i := range want {
		if delays[i] != want[i] {
			t.Errorf("delays = %v, want %v", delays, want)
			break
		}
	}
	var be *BlockedError
	if err := l.LoginAllowed(ctx, ip, "bob"); !errors.As(err, &be) || be.Account || !be.Until.Equal(clk.Now().Add(DefaultBlockFor)) {
		t.Fatalf("after 5 failures: %v, want the source blocked for %v", err, DefaultBlockFor)
	}
	if err := l.LoginAllowed(ctx, addr("192.0.2.8"), "alice"); err != nil {
		t.Errorf("another address is blocked too: %v", err)
	}
	clk.Advance(DefaultBlockFor - time.Second)
	if l.LoginAllowed(ctx, ip, "alice") == nil {
		t.Error("released before BlockFor")
	}
	clk.Advance(time.Second)
	if err := l.LoginAllowed(ctx, ip, "alice"); err != nil {
		t.Errorf("still blocked after BlockFor: %v", err)
	}
	// Released: the count starts again.
	if d := l.LoginFailed(ctx, ip, "alice"); d != time.Second {
		t.Errorf("first failure after the block waits %v, want 1s", d)
	}
}

// A host's addresses in one IPv6 /64 are one source; another /64 is not.
func TestLoginsIPv6Prefix(t *testing.T) {
	l := &Logins{MaxFailures: 3, Delay: -1}
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::ffff", "2001:db8:1:2:abcd::9"} {
		if d := l.LoginFailed(ctx, addr(ip), "x"); d != 0 {
			t.Errorf("Delay -1 waits %v", d)
		}
	}
	if l.LoginAllowed(ctx, addr("2001:db8:1:2::77"), "y") == nil {
		t.Error("the /64 is not blocked")
	}
	if err := l.LoginAllowed(ctx, addr("2001:db8:1:3::1"), "y"); err != nil {
		t.Errorf("the next /64 is blocked: %v", err)
	}
	if err := l.LoginAllowed(ctx, addr("::ffff:192.0.2.1"), "y"); err != nil {
		t.Errorf("IPv4 is blocked: %v", err)
	}
}

// A successful login clears its source's count.
func TestLoginsSuccessClears(t *testing.T) {
	l := &Logins{MaxFailures: 3}
	ip := addr("192.0.2.7")
	l.LoginFailed(ctx, ip, "alice")
	l.LoginFailed(ctx, ip, "alice")
	l.LoginSucceeded(ctx, ip, "alice")
	l.LoginFailed(ctx, ip, "alice")
	l.LoginFailed(ctx, ip, "alice")
	if err := l.LoginAllowed(ctx, ip, "alice"); err != nil {
		t.Errorf("blocked after 2+2 failures with a success between: %v", err)
	}
}

// Failures spread over many sources block the account name, whatever its
// case, except from a source where it logged in before.
func TestLoginsAccountBlock(t *testing.T) {
	clk := newFakeClock()
	l := &Logins{MaxAccountFailures: 20, Delay: -1, Now: clk.Now}
	home := addr("198.51.100.1")
	l.LoginSucceeded(ctx, home, "alice")
	for i := range 20 {
		l.LoginFailed(ctx, netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}), []string{"alice", "ALICE"}[i%2])
	}
	var be *BlockedError
	if err := l.LoginAllowed(ctx, addr("192.0.2.99"), "Alice"); !errors.As(err, &be) || !be.Account {
		t.Errorf("new source: %v, want the account blocked", err)
	}
	if err := l.LoginAllowed(ctx, home, "alice"); err != nil {
		t.Errorf("the owner's network is blocked: %v", err)
	}
	if err := l.LoginAllowed(ctx, addr("192.0.2.99"), "bob"); err != nil {
		t.Errorf("another account is blocked: %v", err)
	}
	clk.Advance(DefaultTrustFor + DefaultBlockFor)
	if err := l.LoginAllowed(ctx, addr("192.0.2.99"), "alice"); err != nil {
		t.Errorf("still blocked after BlockFor: %v", err)
	}
}

// Failures further apart than FailureWindow are forgotten.
func TestLoginsWindow(t *testing.T) {
	clk := newFakeClock()
	l := &Logins{MaxFailures: 2, Now: clk.Now}
	ip := addr("192.0.2.7")
	l.LoginFailed(ctx, ip, "")
	clk.Advance(DefaultFailureWindow + time.Second)
	l.LoginFailed(ctx, ip, "")
	if err := l.LoginAllowed(ctx, ip, ""); err != nil {
		t.Errorf("two failures a window apart block: %v", err)
	}
	l.LoginFailed(ctx, ip, "")
	if l.LoginAllowed(ctx, ip, "") == nil {
		t.Error("two failures within the window do not block")
	}
}

// A flood of failures from distinct addresses and names keeps each table
// within MaxEntries, and a source that keeps failing during the flood is
// still counted at its end (eviction drops the least recently used).
func TestLoginsFloodBounded(t *testing.T) {
	l := &Logins{MaxEntries: 1000, MaxFailures: 1000, Delay: -1}
	persistent := addr("192.0.2.1")
	for i := range 100_000 {
		if i%100 == 0 {
			l.LoginFailed(ctx, persistent, "")
		}
		ip := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		l.LoginFailed(ctx, ip, "user"+strconv.Itoa(i))
		l.LoginSucceeded(ctx, netip.AddrFrom4([4]byte{11, byte(i >> 16), byte(i >> 8), byte(i)}), strconv.Itoa(i))
	}
	for name, n := range map[string]int{"sources": len(l.sources.m), "accounts": len(l.accounts.m), "trusted": len(l.trusted.m)} {
		if n > 1000 {
			t.Errorf("%s: %d entries, want at most 1000", name, n)
		}
	}
	if l.LoginAllowed(ctx, persistent, "") == nil {
		t.Error("the source that failed 1000 times during the flood was forgotten")
	}
}
