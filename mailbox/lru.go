package mailbox

import (
	"container/list"
	"sync"
)

// cacheKey names one message for good: a UID is never reused within a
// UIDVALIDITY (RFC 9051 section 2.3.1.1), and the store never gives a
// user's folder a UIDVALIDITY used before (newUIDValidity), so the bytes
// behind the key cannot change. The folder name is kept in the key only
// to keep users' folders apart when in doubt; a rename just misses.
type cacheKey struct {
	user, folder string
	uidValidity  uint32
	uid          uint32
}

type lruEntry[K comparable, V any] struct {
	key  K
	val  V
	cost int64
}

// lru is the cache of messages' parsed parts, keyed by message.
type lru[V any] = keyedLRU[cacheKey, V]

func newLRU[V any](max int64) *lru[V] {
	return newKeyedLRU[cacheKey, V](max)
}

// keyedLRU is a bounded cache, least recently used first out, safe for
// concurrent use. Every entry has a cost (1 to bound the count, or its
// size in bytes to bound memory); the costs in the cache stay within max.
// Cached values are shared: callers only read them.
type keyedLRU[K comparable, V any] struct {
	mu    sync.Mutex
	max   int64
	used  int64
	order *list.List // front: most recently used; values are *lruEntry[K, V]
	items map[K]*list.Element
}

func newKeyedLRU[K comparable, V any](max int64) *keyedLRU[K, V] {
	return &keyedLRU[K, V]{max: max, order: list.New(), items: make(map[K]*list.Element)}
}

func (c *keyedLRU[K, V]) get(k K) (V, bool) {
	return c.getValid(k, func(V) bool { return true })
}

// add stores v under k and returns the value to use: the one already
// cached when another session got there first, so that all share one. A
// value costing more than the whole cache is returned without being kept.
func (c *keyedLRU[K, V]) add(k K, v V, cost int64) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*lruEntry[K, V]).val
	}
	if cost > c.max {
		return v
	}
	c.items[k] = c.order.PushFront(&lruEntry[K, V]{key: k, val: v, cost: cost})
	c.used += cost
	for c.used > c.max {
		c.removeLocked(c.order.Back())
	}
	return v
}

// getValid is get for values that go stale: an entry that valid refuses
// is dropped, and reported missing.
func (c *keyedLRU[K, V]) getValid(k K, valid func(V) bool) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	e, ok := c.items[k]
	if !ok {
		return zero, false
	}
	v := e.Value.(*lruEntry[K, V]).val
	if !valid(v) {
		c.removeLocked(e)
		return zero, false
	}
	c.order.MoveToFront(e)
	return v, true
}

func (c *keyedLRU[K, V]) removeLocked(e *list.Element) {
	ent := e.Value.(*lruEntry[K, V])
	c.order.Remove(e)
	delete(c.items, ent.key)
	c.used -= ent.cost
}

func (c *keyedLRU[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
