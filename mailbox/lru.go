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

type lruEntry[V any] struct {
	key  cacheKey
	val  V
	cost int64
}

// lru is a bounded cache, least recently used first out, safe for
// concurrent use. Every entry has a cost (1 to bound the count, or its
// size in bytes to bound memory); the costs in the cache stay within max.
// Cached values are shared: callers only read them.
type lru[V any] struct {
	mu    sync.Mutex
	max   int64
	used  int64
	order *list.List // front: most recently used; values are *lruEntry[V]
	items map[cacheKey]*list.Element
}

func newLRU[V any](max int64) *lru[V] {
	return &lru[V]{max: max, order: list.New(), items: make(map[cacheKey]*list.Element)}
}

func (c *lru[V]) get(k cacheKey) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry[V]).val, true
}

// add stores v under k and returns the value to use: the one already
// cached when another session got there first, so that all share one. A
// value costing more than the whole cache is returned without being kept.
func (c *lru[V]) add(k cacheKey, v V, cost int64) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*lruEntry[V]).val
	}
	if cost > c.max {
		return v
	}
	c.items[k] = c.order.PushFront(&lruEntry[V]{key: k, val: v, cost: cost})
	c.used += cost
	for c.used > c.max {
		last := c.order.Back()
		ent := last.Value.(*lruEntry[V])
		c.order.Remove(last)
		delete(c.items, ent.key)
		c.used -= ent.cost
	}
	return v
}

func (c *lru[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
