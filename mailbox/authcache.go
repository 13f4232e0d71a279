package mailbox

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"
)

const (
	// DefaultAuthCacheTTL is how long an AuthCache remembers a successful
	// login when its TTL is 0: an hour, as Dovecot's auth_cache_ttl.
	DefaultAuthCacheTTL = time.Hour
	// DefaultAuthCacheSize is how many logins an AuthCache remembers when
	// its Size is 0: about 2 MB of memory (BenchmarkAuthCacheMemory
	// measures some 190 bytes an entry).
	DefaultAuthCacheSize = 10000
)

// AuthCache remembers successful logins for a while, so that a client
// that logs in again and again (POP3 polling, IMAP clients opening
// several connections, phones reconnecting, SMTP submission) pays the
// bcrypt comparison once per TTL rather than once per login: at the
// default cost that comparison takes about 100 ms of CPU, a remembered
// login a few microseconds (BenchmarkAuthenticateDefaultCost).
// AccountsFile and MemoryAccounts each have one, their AuthCache field,
// on by default; the SMTP AUTH of delivery.Agent and the IMAP and POP3
// logins of IMAPBackend and POP3Backend all go through their
// Authenticate.
//
// An entry is an HMAC-SHA256 of the account name, the password and the
// account's stored hash, under a random key made when the cache is first
// used and never written anywhere, with the time it expires. The cache
// holds no password and no hash, and:
//
//   - Every Authenticate reads the account's current hash first
//     (AccountsFile checks the file's identity, size and modification time
//     at each call, a stat of about a microsecond, and reads the file again
//     when they changed, also after an edit by another program). As the
//     hash is part of the key, once a password is changed, an account
//     removed or disabled, the old entries match nothing: the old password
//     fails at once, the new one costs a comparison once.
//   - Failures are never remembered: a wrong password costs one bcrypt
//     comparison every time, as does an unknown user (against a dummy
//     hash), and the key is compared only through a map of keyed MACs,
//     whose timing tells nothing about the password.
//   - Concurrent logins with the same name and password share one
//     comparison: the first runs it, the others wait for its result (so
//     ten clients connecting at once pay one hash). Logins with another
//     password never share it, so a wrong password cannot ride on a right
//     one; unknown users share it as known ones do, so that sharing does
//     not tell them apart.
//
// Limit: whoever can read the process's memory gets the key with the
// entries, and can test guesses against an entry at the speed of
// HMAC-SHA256 rather than bcrypt. Such a reader also sees passwords as
// clients send them; the TTL bounds how long an entry stays.
//
// The zero value is ready to use, with the default TTL and size. Set the
// fields before the first Authenticate.
type AuthCache struct {
	// TTL is how long a login is remembered, counted from the comparison
	// that proved it (using the entry does not extend it). 0 means
	// DefaultAuthCacheTTL; a negative value disables the cache.
	TTL time.Duration
	// Size bounds the number of logins remembered (one per account and
	// password in use), least recently used first out. 0 means
	// DefaultAuthCacheSize; a negative value disables the cache.
	Size int

	once    sync.Once
	ttl     time.Duration
	key     [32]byte
	entries *keyedLRU[authKey, time.Time] // nil: disabled

	mu       sync.Mutex
	inflight map[authKey]*authCall
}

// authKey is the HMAC of one login's name, password and hash.
type authKey [sha256.Size]byte

// authCall is a comparison in progress that other logins with the same
// key wait for.
type authCall struct {
	done chan struct{}
	ok   bool
}

func (c *AuthCache) init() {
	c.once.Do(func() {
		if c.TTL < 0 || c.Size < 0 {
			return
		}
		c.ttl = c.TTL
		if c.ttl == 0 {
			c.ttl = DefaultAuthCacheTTL
		}
		size := c.Size
		if size == 0 {
			size = DefaultAuthCacheSize
		}
		rand.Read(c.key[:])
		c.entries = newKeyedLRU[authKey, time.Time](int64(size))
		c.inflight = make(map[authKey]*authCall)
	})
}

// verify returns what compare returns: whether password matches hash.
// account says whether name is an account that may log in with hash; only
// then is a success remembered. Otherwise (an unknown user, a disabled
// account, a password that cannot be valid) name is the username as the
// client gave it, and the comparison runs against a dummy hash only to
// take the same time, shared among concurrent identical attempts as for
// an account.
func (c *AuthCache) verify(account bool, name, password, hash string, compare func() bool) bool {
	c.init()
	if c.entries == nil {
		return compare()
	}
	k := c.keyOf(account, name, password, hash)
	if account {
		if _, ok := c.entries.getValid(k, notExpired); ok {
			return true
		}
	}
	c.mu.Lock()
	if call, ok := c.inflight[k]; ok {
		c.mu.Unlock()
		<-call.done
		return call.ok
	}
	call := &authCall{done: make(chan struct{})}
	c.inflight[k] = call
	c.mu.Unlock()
	defer func() {
		// Remembered before the call is forgotten, so that a login
		// arriving now finds one or the other. A panic in compare leaves
		// ok false for those waiting.
		c.mu.Lock()
		delete(c.inflight, k)
		c.mu.Unlock()
		close(call.done)
	}()
	call.ok = compare()
	if call.ok && account {
		c.entries.add(k, time.Now().Add(c.ttl), 1)
	}
	return call.ok
}

func notExpired(expires time.Time) bool { return time.Now().Before(expires) }

// keyOf is the HMAC of a login. Each field is preceded by its length, so
// that no two different logins give the same input.
func (c *AuthCache) keyOf(account bool, name, password, hash string) authKey {
	m := hmac.New(sha256.New, c.key[:])
	kind := []byte{0}
	if account {
		kind[0] = 1
	}
	m.Write(kind)
	var n [binary.MaxVarintLen64]byte
	for _, f := range [...]string{name, password, hash} {
		m.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
		m.Write([]byte(f))
	}
	var k authKey
	m.Sum(k[:0])
	return k
}

// len returns the number of remembered logins.
func (c *AuthCache) len() int {
	c.init()
	if c.entries == nil {
		return 0
	}
	return c.entries.len()
}
