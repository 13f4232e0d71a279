package mailbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/mailwright/mailwright/imap"
	"github.com/mailwright/mailwright/pop3"
)

// internals reaches the password check and the cache of either
// implementation.
func internals(a accountsUnderTest) (*passwordCheck, *AuthCache) {
	switch a := a.(type) {
	case *AccountsFile:
		return &a.check, &a.AuthCache
	case *MemoryAccounts:
		return &a.check, &a.AuthCache
	}
	panic(fmt.Sprintf("unknown Accounts %T", a))
}

// countCompares makes a's bcrypt comparisons countable; the returned
// counter counts them.
func countCompares(a accountsUnderTest) *atomic.Int64 {
	check, _ := internals(a)
	var n atomic.Int64
	check.compare = func(hash, password []byte) error {
		n.Add(1)
		return bcrypt.CompareHashAndPassword(hash, password)
	}
	return &n
}

// login is one Authenticate and what it must give ("" for ErrAuthFailed).
type login struct{ username, password, want string }

// checkLogins runs logins and the bcrypt comparisons they must cost in
// all.
func checkLogins(t *testing.T, a accountsUnderTest, compares *atomic.Int64, wantCompares int64, logins ...login) {
	t.Helper()
	before := compares.Load()
	for _, l := range logins {
		user, err := a.Authenticate(context.Background(), l.username, l.password)
		if l.want == "" && (err != ErrAuthFailed || user != "") {
			t.Errorf("Authenticate(%q, %q) = %q, %v; want ErrAuthFailed", l.username, l.password, user, err)
		}
		if l.want != "" && (err != nil || user != l.want) {
			t.Errorf("Authenticate(%q, %q) = %q, %v; want %q", l.username, l.password, user, err, l.want)
		}
	}
	if got := compares.Load() - before; got != wantCompares {
		t.Errorf("%d logins %v compared %d hashes, want %d", len(logins), logins, got, wantCompares)
	}
}

func TestAuthCacheRemembersSuccessOnly(t *testing.T) {
	forEachAccounts(t, func(t *testing.T, a accountsUnderTest) {
		compares := countCompares(a)
		if err := a.Add("alice", "secret"); err != nil {
			t.Fatal(err)
		}
		right := login{"alice", "secret", "alice"}
		wrong := login{"alice", "Secret", ""}
		// Any spelling of the account shares the entry.
		checkLogins(t, a, compares, 1, right, right, login{"ALICE", "secret", "alice"}, login{"Alice@Example.ORG", "secret", "alice"})
		// A wrong password after a remembered right one costs a comparison,
		// every time, and fails.
		checkLogins(t, a, compares, 3, wrong, wrong, login{"alice", "secret ", ""})
		checkLogins(t, a, compares, 0, right)
		// Unknown users are compared against the dummy hash every time.
		checkLogins(t, a, compares, 2, login{"nobody", "secret", ""}, login{"nobody", "secret", ""})
		if _, cache := internals(a); cache.len() != 1 {
			t.Errorf("cache holds %d entries, want 1 (alice's success only)", cache.len())
		}
	})
}

func TestAuthCacheChangedPasswordRefusedAtOnce(t *testing.T) {
	forEachAccounts(t, func(t *testing.T, a accountsUnderTest) {
		compares := countCompares(a)
		if err := a.Add("alice", "one"); err != nil {
			t.Fatal(err)
		}
		checkLogins(t, a, compares, 1, login{"alice", "one", "alice"}, login{"alice", "one", "alice"})
		if err := a.SetPassword("alice", "two"); err != nil {
			t.Fatal(err)
		}
		checkLogins(t, a, compares, 2, login{"alice", "one", ""}, login{"alice", "two", "alice"}, login{"alice", "two", "alice"})
		if err := a.Remove("alice"); err != nil {
			t.Fatal(err)
		}
		checkLogins(t, a, compares, 2, login{"alice", "two", ""}, login{"alice", "one", ""})
		// Added again with the first password: a new salt, a new hash.
		if err := a.Add("alice", "one"); err != nil {
			t.Fatal(err)
		}
		checkLogins(t, a, compares, 2, login{"alice", "two", ""}, login{"alice", "one", "alice"}, login{"alice", "one", "alice"})
	})
}

// TestAuthCacheExternalEdit edits the accounts file as another program
// would, behind the AccountsFile's back, after each login it remembers.
func TestAuthCacheExternalEdit(t *testing.T) {
	a := newTestAccountsFile(t)
	compares := countCompares(a)
	hash := func(pw string) string {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	inPlace := func(content string) {
		f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(content); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	byRename := func(content string) {
		tmp := filepath.Join(filepath.Dir(a.path), "accounts.new")
		if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, a.path); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Add("alice", "one"); err != nil {
		t.Fatal(err)
	}
	checkLogins(t, a, compares, 1, login{"alice", "one", "alice"}, login{"alice", "one", "alice"})

	// A new hash of the same length written in place: the file keeps its
	// inode and size, only its modification time tells.
	before, _ := os.Stat(a.path)
	inPlace("alice:" + hash("two") + "\n")
	if after, _ := os.Stat(a.path); after.Size() != before.Size() || after.ModTime().Equal(before.ModTime()) {
		t.Skipf("this file system gave the in-place edit the same modification time (or size): "+
			"the edit goes unseen until the next change, as AccountsFile documents (%v, %d bytes)", after.ModTime(), after.Size())
	}
	checkLogins(t, a, compares, 2, login{"alice", "one", ""}, login{"alice", "two", "alice"}, login{"alice", "two", "alice"})

	// Disabled in a file renamed over the old one.
	byRename("alice:!" + hash("two") + "\n")
	checkLogins(t, a, compares, 1, login{"alice", "two", ""})

	// Enabled again, remembered, then removed in place.
	byRename("# by hand\nalice:" + hash("three") + "\n")
	checkLogins(t, a, compares, 1, login{"alice", "three", "alice"}, login{"alice", "three", "alice"})
	inPlace("# by hand\n")
	checkLogins(t, a, compares, 1, login{"alice", "three", ""})

	// The file deleted.
	byRename("alice:" + hash("four") + "\n")
	checkLogins(t, a, compares, 1, login{"alice", "four", "alice"}, login{"alice", "four", "alice"})
	if err := os.Remove(a.path); err != nil {
		t.Fatal(err)
	}
	checkLogins(t, a, compares, 1, login{"alice", "four", ""})
}

// TestAuthCacheSharedByBackends logs in over POP3 and IMAP with the same
// accounts, as examples/mailserver wires them (its SMTP AUTH, through
// delivery.Agent, calls the same Authenticate): one comparison in all.
func TestAuthCacheSharedByBackends(t *testing.T) {
	store := newStore(newMemFS(false))
	defer store.Close()
	a := NewMemoryAccounts()
	compares := countCompares(a)
	if err := a.Add("alice", "secret"); err != nil {
		t.Fatal(err)
	}
	popBackend, imapBackend := NewPOP3Backend(store, a), NewIMAPBackend(store, a)
	for range 2 {
		md, err := popBackend.Login(bg, pop3.ConnInfo{}, "alice", "secret")
		if err != nil {
			t.Fatal(err)
		}
		md.Close()
		if _, err := imapBackend.Login(bg, imap.ConnInfo{}, "Alice", "secret"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := imapBackend.Login(bg, imap.ConnInfo{}, "alice", "wrong"); !errors.Is(err, ErrAuthFailed) {
		t.Errorf("IMAP login with a wrong password: %v", err)
	}
	if n := compares.Load(); n != 2 {
		t.Errorf("4 logins with the right password and one with a wrong one compared %d hashes, want 2", n)
	}
}

// blockingCompare makes the comparison of password block until release
// is closed; other passwords are compared at once. Both are counted.
func blockingCompare(a accountsUnderTest, password string, release <-chan struct{}) *atomic.Int64 {
	check, _ := internals(a)
	var n atomic.Int64
	check.compare = func(hash, pw []byte) error {
		n.Add(1)
		if string(pw) == password {
			<-release
		}
		return bcrypt.CompareHashAndPassword(hash, pw)
	}
	return &n
}

// TestAuthCacheConcurrentFirstLogins checks that simultaneous logins with
// the same credentials pay one comparison, and that a login with another
// password neither waits for it nor shares its result.
func TestAuthCacheConcurrentFirstLogins(t *testing.T) {
	for _, tt := range []struct {
		name, username, want string
	}{
		{"account", "alice", "alice"},
		{"unknown user", "nobody", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a := NewMemoryAccounts()
				if err := a.Add("alice", "secret"); err != nil {
					t.Fatal(err)
				}
				release := make(chan struct{})
				compares := blockingCompare(a, "secret", release)
				const n = 10
				results := make([]string, n)
				errs := make([]error, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						results[i], errs[i] = a.Authenticate(context.Background(), tt.username, "secret")
					})
				}
				synctest.Wait() // all ten in: one comparing, nine waiting for it
				if got := compares.Load(); got != 1 {
					t.Errorf("%d simultaneous logins started %d comparisons, want 1", n, got)
				}
				// A wrong password meanwhile is compared on its own and
				// fails without waiting for the right one.
				if user, err := a.Authenticate(context.Background(), tt.username, "Secret"); err != ErrAuthFailed {
					t.Errorf("wrong password during the right one's comparison: %q, %v", user, err)
				}
				if got := compares.Load(); got != 2 {
					t.Errorf("%d comparisons after the wrong password, want 2", got)
				}
				close(release)
				wg.Wait()
				for i := range n {
					if results[i] != tt.want || (tt.want == "") != (errs[i] == ErrAuthFailed) {
						t.Errorf("login %d: %q, %v; want %q", i, results[i], errs[i], tt.want)
					}
				}
				if got := compares.Load(); got != 2 {
					t.Errorf("%d comparisons in all, want 2", got)
				}
			})
		})
	}
}

func TestAuthCacheTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := NewMemoryAccounts()
		a.AuthCache.TTL = 10 * time.Minute
		compares := countCompares(a)
		if err := a.Add("alice", "secret"); err != nil {
			t.Fatal(err)
		}
		right := login{"alice", "secret", "alice"}
		checkLogins(t, a, compares, 1, right)
		time.Sleep(9 * time.Minute)
		checkLogins(t, a, compares, 0, right)
		// 11 minutes after the comparison: expired, although used 2
		// minutes ago.
		time.Sleep(2 * time.Minute)
		checkLogins(t, a, compares, 1, right, right)
		if a.AuthCache.len() != 1 {
			t.Errorf("%d entries, want 1", a.AuthCache.len())
		}
	})
}

func TestAuthCacheDefaultTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := NewMemoryAccounts()
		compares := countCompares(a)
		if err := a.Add("alice", "secret"); err != nil {
			t.Fatal(err)
		}
		right := login{"alice", "secret", "alice"}
		checkLogins(t, a, compares, 1, right)
		time.Sleep(DefaultAuthCacheTTL - time.Second)
		checkLogins(t, a, compares, 0, right)
		time.Sleep(time.Second)
		checkLogins(t, a, compares, 1, right)
	})
}

func TestAuthCacheOff(t *testing.T) {
	for _, off := range []struct {
		ttl  time.Duration
		size int
	}{{ttl: -1}, {size: -1}} {
		a := NewMemoryAccounts()
		a.AuthCache.TTL, a.AuthCache.Size = off.ttl, off.size
		compares := countCompares(a)
		if err := a.Add("alice", "secret"); err != nil {
			t.Fatal(err)
		}
		right := login{"alice", "secret", "alice"}
		checkLogins(t, a, compares, 3, right, right, right)
		if a.AuthCache.len() != 0 {
			t.Errorf("TTL %v, Size %d: %d entries", off.ttl, off.size, a.AuthCache.len())
		}
	}
}

// TestAuthCacheBounded floods the cache with the successful logins of
// many distinct users: it keeps its Size, the most recent ones.
func TestAuthCacheBounded(t *testing.T) {
	const size, users = 50, 1000
	a := NewMemoryAccounts()
	a.AuthCache.Size = size
	// One hash for all, and a comparison that only checks the password:
	// the accounts differ by name, so do the entries.
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	var compares atomic.Int64
	a.check.compare = func(_, password []byte) error {
		compares.Add(1)
		if string(password) != "pw" {
			return bcrypt.ErrMismatchedHashAndPassword
		}
		return nil
	}
	a.hashes = make(map[string]string, users)
	a.scram = make(map[string]string, users)
	scram := accountSCRAM(string(hash), "pw", 0).String() // no derivation at each login
	for i := range users {
		a.hashes[fmt.Sprint("user", i)] = string(hash)
		a.scram[fmt.Sprint("user", i)] = scram
	}
	for i := range users {
		name := fmt.Sprint("user", i)
		checkLogins(t, a, &compares, 1, login{name, "pw", name})
		if n := a.AuthCache.len(); n > size {
			t.Fatalf("%d entries after %d users, more than the Size %d", n, i+1, size)
		}
	}
	if n := a.AuthCache.len(); n != size {
		t.Errorf("%d entries, want %d", n, size)
	}
	last, evicted := fmt.Sprint("user", users-1), fmt.Sprint("user", users-size-1)
	checkLogins(t, a, &compares, 0, login{last, "pw", last}, login{last, "pw", last})
	checkLogins(t, a, &compares, 1, login{evicted, "pw", evicted})
	checkLogins(t, a, &compares, 1, login{last, "wrong", ""})
}

// TestAuthCacheFlood floods the cache alone with far more distinct
// logins than it holds.
func TestAuthCacheFlood(t *testing.T) {
	var c AuthCache
	c.Size = 1000
	hash := strings.Repeat("h", 60)
	for i := range 20 * c.Size {
		if !c.verify(true, fmt.Sprint("user", i), "pw", hash, func() bool { return true }) {
			t.Fatal("a successful comparison reported a failure")
		}
	}
	if n := c.len(); n != c.Size {
		t.Errorf("%d entries after %d logins, want the Size %d", n, 100*c.Size, c.Size)
	}
}

// TestAuthCacheKey checks that every part of a login changes its key.
func TestAuthCacheKey(t *testing.T) {
	var c AuthCache
	c.init()
	base := c.keyOf(true, "alice", "secret", "hash")
	for _, k := range []authKey{
		c.keyOf(false, "alice", "secret", "hash"),
		c.keyOf(true, "alicf", "secret", "hash"),
		c.keyOf(true, "alice", "secreT", "hash"),
		c.keyOf(true, "alice", "secret", "hasH"),
		c.keyOf(true, "alices", "ecret", "hash"), // the same bytes, cut elsewhere
		c.keyOf(true, "alice", "secreth", "ash"),
	} {
		if k == base {
			t.Errorf("two different logins share the key %x", k)
		}
	}
	if c.keyOf(true, "alice", "secret", "hash") != base {
		t.Error("the same login gave two keys")
	}
	var other AuthCache
	other.init()
	if other.keyOf(true, "alice", "secret", "hash") == base {
		t.Error("two caches share a key: the HMAC key is not random")
	}
}

// BenchmarkAuthenticateDefaultCost logs in to an AccountsFile (a stat of
// the file included) whose hash has bcrypt.DefaultCost, with and without
// the cache.
func BenchmarkAuthenticateDefaultCost(b *testing.B) {
	for _, bm := range []struct {
		name string
		ttl  time.Duration
	}{{"cached", 0}, {"uncached", -1}} {
		b.Run(bm.name, func(b *testing.B) {
			a, err := OpenAccountsFile(filepath.Join(b.TempDir(), "accounts"))
			if err != nil {
				b.Fatal(err)
			}
			a.AuthCache.TTL = bm.ttl
			if err := a.Add("alice", "secret"); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Authenticate(context.Background(), "alice", "secret"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAuthCacheMemory reports the heap bytes a remembered login
// takes, with the cache full at DefaultAuthCacheSize.
func BenchmarkAuthCacheMemory(b *testing.B) {
	hash := strings.Repeat("h", 60)
	heap := func() int64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	var perEntry float64
	for b.Loop() {
		before := heap()
		c := new(AuthCache)
		for i := range DefaultAuthCacheSize {
			c.verify(true, fmt.Sprint("user", i), "pw", hash, func() bool { return true })
		}
		perEntry = float64(heap()-before) / DefaultAuthCacheSize
		runtime.KeepAlive(c)
	}
	b.ReportMetric(perEntry, "B/entry")
}
