package throttle

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// Defaults of Logins, used for zero fields.
const (
	DefaultMaxFailures        = 10
	DefaultMaxAccountFailures = 50
	DefaultFailureWindow      = time.Hour
	DefaultBlockFor           = 15 * time.Minute
	DefaultDelay              = time.Second
	DefaultMaxDelay           = 8 * time.Second
	DefaultTrustFor           = 30 * 24 * time.Hour
)

// Logins counts failed logins per source (an IPv4 address, an IPv6 /64)
// and per account name, across sessions and protocols. Each failure
// delays its answer, longer with each failure of the source (Delay,
// doubling, up to MaxDelay); MaxFailures failures from one source block it
// for BlockFor, and MaxAccountFailures failures for one name, from
// anywhere, block that name for BlockFor, except from sources where it
// logged in before (within TrustFor): a distributed guess at an account
// does not lock its owner out of the networks the owner uses. A failure
// counts while the next one follows within FailureWindow; a successful
// login clears its source's count.
//
// A blocked attempt is refused before its password is checked (so before
// any authentication cache, such as mailbox.AuthCache, could answer it).
// The servers log each failure ("login failed") and each refusal ("login
// blocked") with the protocol, the client's address and the user name, for
// fail2ban and the like.
//
// The zero value is ready to use with the defaults; set the fields before
// first use. A Logins is safe for concurrent use.
type Logins struct {
	// MaxFailures blocks a source after that many failures (0:
	// DefaultMaxFailures; negative: sources are only delayed).
	MaxFailures int
	// MaxAccountFailures blocks an account name after that many failures
	// from all sources (0: DefaultMaxAccountFailures; negative: never).
	MaxAccountFailures int
	// FailureWindow is how long a failure is remembered when no other
	// follows (0: DefaultFailureWindow).
	FailureWindow time.Duration
	// BlockFor is how long a block lasts (0: DefaultBlockFor).
	BlockFor time.Duration
	// Delay is the wait before answering a source's first failure; it
	// doubles with each further one, up to MaxDelay (0: DefaultDelay and
	// DefaultMaxDelay; a negative Delay: no wait).
	Delay, MaxDelay time.Duration
	// TrustFor is how long a successful login lets its source through a
	// block of the account (0: DefaultTrustFor; negative: never).
	TrustFor time.Duration
	// IPv4PrefixLength and IPv6PrefixLength are how many leading bits of
	// an address make one source (0: 32 and 64).
	IPv4PrefixLength, IPv6PrefixLength int
	// MaxEntries bounds each of the tables of sources, accounts and
	// trusted pairs (0: DefaultMaxEntries).
	MaxEntries int
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time

	once     sync.Once
	mu       sync.Mutex
	keys     keys
	sources  *table[failures]
	accounts *table[failures]
	trusted  *table[stamp]
}

// failures is the count of a source or an account.
type failures struct {
	n     int
	last  int64 // the last failure (UnixNano)
	until int64 // blocked until, if later than now
}

// stamp is a trusted (source, account) pair: the last successful login.
type stamp int64

// worth keeps counts by their size (a blocked one is at its limit); one
// that is forgotten, its window and any block over, is worth nothing.
func (l *Logins) worth(f failures, now int64) (keep, last int64) {
	if now-f.last > int64(orDefault(l.FailureWindow, DefaultFailureWindow)) && f.until <= now {
		return 0, f.last
	}
	return int64(f.n), f.last
}

func stampWorth(s stamp, now int64) (keep, last int64) { return 1, int64(s) }

// BlockedError is the error of a login that LoginAllowed refuses.
type BlockedError struct {
	// Until is when the block ends.
	Until time.Time
	// Account is set when the account name is blocked, rather than the
	// client's network.
	Account bool
}

func (e *BlockedError) Error() string {
	who := "your address"
	if e.Account {
		who = "this account"
	}
	return fmt.Sprintf("Too many failed logins for %s; try again after %s", who, e.Until.UTC().Format("15:04 MST"))
}

func (l *Logins) init() {
	l.once.Do(func() {
		l.keys = newKeys()
		l.sources = newTable(l.MaxEntries, l.worth)
		l.accounts = newTable(l.MaxEntries, l.worth)
		l.trusted = newTable(l.MaxEntries, stampWorth)
	})
}

// keysOf returns the table keys of a login attempt; ok flags say which
// exist (no source for an invalid ip, no account for an empty name).
func (l *Logins) keysOf(ip netip.Addr, user string) (src uint64, hasSrc bool, acct uint64, hasAcct bool) {
	src, hasSrc = l.keys.source(ip, l.IPv4PrefixLength, l.IPv6PrefixLength)
	acct, hasAcct = l.keys.account(user)
	return
}

// LoginAllowed reports, before the credentials are checked, whether a
// login from ip as user (empty when not known yet) may be tried now: nil,
// or a *BlockedError.
func (l *Logins) LoginAllowed(ctx context.Context, ip netip.Addr, user string) error {
	l.init()
	now := clock(l.Now)
	src, hasSrc, acct, hasAcct := l.keysOf(ip, user)
	l.mu.Lock()
	defer l.mu.Unlock()
	if hasSrc {
		if f := l.sources.m[src]; f.until > now.UnixNano() {
			return &BlockedError{Until: time.Unix(0, f.until)}
		}
	}
	if hasAcct {
		if f := l.accounts.m[acct]; f.until > now.UnixNano() && !(hasSrc && l.isTrusted(src, acct, now)) {
			return &BlockedError{Until: time.Unix(0, f.until), Account: true}
		}
	}
	return nil
}

// isTrusted reports whether the account logged in from the source within
// TrustFor. l.mu is held.
func (l *Logins) isTrusted(src, acct uint64, now time.Time) bool {
	if l.TrustFor < 0 {
		return false
	}
	t, ok := l.trusted.m[l.keys.pair(src, acct)]
	return ok && now.Sub(time.Unix(0, int64(t))) < orDefault(l.TrustFor, DefaultTrustFor)
}

// LoginFailed records refused credentials from ip for user and returns
// how long the server should wait before it answers.
func (l *Logins) LoginFailed(ctx context.Context, ip netip.Addr, user string) time.Duration {
	l.init()
	now := clock(l.Now)
	src, hasSrc, acct, hasAcct := l.keysOf(ip, user)
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	if hasSrc {
		n = l.count(l.sources, src, l.MaxFailures, DefaultMaxFailures, now)
	}
	if hasAcct {
		l.count(l.accounts, acct, l.MaxAccountFailures, DefaultMaxAccountFailures, now)
	}
	return l.delay(max(n, 1))
}

// count adds a failure to key in t, blocking it at limit (def when 0, none
// when negative), and returns the count. l.mu is held.
func (l *Logins) count(t *table[failures], key uint64, limit, def int, now time.Time) int {
	f := t.m[key]
	if now.UnixNano()-f.last > int64(orDefault(l.FailureWindow, DefaultFailureWindow)) || f.until != 0 && f.until <= now.UnixNano() {
		f = failures{} // forgotten, or the block is over: start again
	}
	f.n++
	f.last = now.UnixNano()
	if f.until == 0 && limit >= 0 && f.n >= orDefault(limit, def) {
		f.until = now.Add(orDefault(l.BlockFor, DefaultBlockFor)).UnixNano()
	}
	t.put(key, f, now.UnixNano())
	return f.n
}

// delay is the wait after the n-th failure of a source.
func (l *Logins) delay(n int) time.Duration {
	if l.Delay < 0 {
		return 0
	}
	d, limit := orDefault(l.Delay, DefaultDelay), orDefault(l.MaxDelay, DefaultMaxDelay)
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// LoginSucceeded records a successful login: it clears the source's
// failures and lets the source through later blocks of the account.
func (l *Logins) LoginSucceeded(ctx context.Context, ip netip.Addr, user string) {
	l.init()
	now := clock(l.Now)
	src, hasSrc, acct, hasAcct := l.keysOf(ip, user)
	if !hasSrc {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.sources.m, src)
	if hasAcct && l.TrustFor >= 0 {
		l.trusted.put(l.keys.pair(src, acct), stamp(now.UnixNano()), now.UnixNano())
	}
}
