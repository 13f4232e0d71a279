package throttle

import (
	"hash/maphash"
	"net/netip"
	"strings"
	"time"

	"github.com/mailwright/mailwright/internal/netserver"
)

// DefaultMaxEntries bounds each table of counts (sources, accounts, ...)
// when MaxEntries is 0: at about 100 bytes an entry, a few MB of memory
// under a flood of distinct clients or names.
const DefaultMaxEntries = 20000

// evictSample is how many entries a full table looks at to pick the one
// to drop (as Redis does, without the list a strict LRU needs).
const evictSample = 8

// table maps keys (hashes of sources and names) to counts, holding at
// most max of them: adding to a full table first drops, of a random
// sample of entries, the one that matters least (worth, then least
// recently used). Under a flood of clients that fail once, a client that
// keeps failing, or is blocked, stays counted; a dropped entry forgets
// its count, and the table never grows.
type table[V any] struct {
	max int
	m   map[uint64]V
	// worth says how much keeping v matters at now (0: nothing, such as
	// a count already forgotten), and when it was last used.
	worth func(v V, now int64) (keep, last int64)
}

func newTable[V any](max int, worth func(v V, now int64) (keep, last int64)) *table[V] {
	if max <= 0 {
		max = DefaultMaxEntries
	}
	return &table[V]{max: max, m: make(map[uint64]V), worth: worth}
}

// put stores v under k at now, evicting an entry if the table is full.
func (t *table[V]) put(k uint64, v V, now int64) {
	if _, ok := t.m[k]; !ok && len(t.m) >= t.max {
		t.evict(now)
	}
	t.m[k] = v
}

// evict drops the entry that matters least among a sample; Go's map
// iteration starts at a random place.
func (t *table[V]) evict(now int64) {
	var victim uint64
	var keep, last int64
	n := 0
	for k, v := range t.m {
		vk, vl := t.worth(v, now)
		if n == 0 || vk < keep || vk == keep && vl < last {
			victim, keep, last = k, vk, vl
		}
		if n++; n == evictSample {
			break
		}
	}
	delete(t.m, victim)
}

// keys hashes sources and names into table keys. The seed is random per
// limiter, so a client cannot choose names that collide.
type keys struct{ seed maphash.Seed }

func newKeys() keys { return keys{maphash.MakeSeed()} }

// source returns the key of the network that ip counts in, and false for
// an invalid address (a client that has none, such as a Unix socket).
func (k keys) source(ip netip.Addr, v4, v6 int) (uint64, bool) {
	if !ip.IsValid() {
		return 0, false
	}
	var h maphash.Hash
	h.SetSeed(k.seed)
	h.WriteByte('s')
	b, _ := netserver.Source(ip, v4, v6).MarshalBinary()
	h.Write(b)
	return h.Sum64(), true
}

// account returns the key of a user name, case-insensitively (a guesser
// cannot start afresh with "Alice"), and false for no name.
func (k keys) account(user string) (uint64, bool) {
	if user == "" {
		return 0, false
	}
	var h maphash.Hash
	h.SetSeed(k.seed)
	h.WriteByte('a')
	h.WriteString(strings.ToLower(user))
	return h.Sum64(), true
}

// pair combines a source key and an account key.
func (k keys) pair(source, account uint64) uint64 {
	var h maphash.Hash
	h.SetSeed(k.seed)
	h.WriteByte('p')
	var b [16]byte
	for i := range 8 {
		b[i], b[8+i] = byte(source>>(8*i)), byte(account>>(8*i))
	}
	h.Write(b[:])
	return h.Sum64()
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// clock returns now() or, when now is nil, time.Now().
func clock(now func() time.Time) time.Time {
	if now != nil {
		return now()
	}
	return time.Now()
}
