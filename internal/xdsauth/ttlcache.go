package xdsauth

import (
	"sync"
	"time"
)

// ttlCache is a bounded map whose entries expire. The token and access
// review caches use it; each entry carries its own expiry because a token's
// lifetime decides how long its review may be trusted.
//
// Expired entries are dropped when read, and all of them at once on a sweep
// that runs at most every sweepEvery (on an insert) and whenever the cache is
// full. A cache still full after the sweep evicts arbitrary live entries: an
// evicted entry costs one more review, never a wrong answer.
type ttlCache[K comparable, V any] struct {
	mu        sync.Mutex
	entries   map[K]ttlEntry[V]
	max       int
	now       func() time.Time
	nextSweep time.Time
}

type ttlEntry[V any] struct {
	value   V
	expires time.Time
}

// sweepEvery bounds how long expired entries linger when the cache is not
// full.
const sweepEvery = time.Minute

func newTTLCache[K comparable, V any](max int, now func() time.Time) *ttlCache[K, V] {
	return &ttlCache[K, V]{entries: map[K]ttlEntry[V]{}, max: max, now: now}
}

func (c *ttlCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		var zero V
		return zero, false
	}
	if !c.now().Before(e.expires) {
		delete(c.entries, k)
		var zero V
		return zero, false
	}
	return e.value, true
}

// put stores v for ttl; a ttl of zero or less stores nothing.
func (c *ttlCache[K, V]) put(k K, v V, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if _, exists := c.entries[k]; !exists && (len(c.entries) >= c.max || !now.Before(c.nextSweep)) {
		c.sweepLocked(now)
	}
	c.entries[k] = ttlEntry[V]{value: v, expires: now.Add(ttl)}
}

func (c *ttlCache[K, V]) sweepLocked(now time.Time) {
	c.nextSweep = now.Add(sweepEvery)
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	for k := range c.entries {
		if len(c.entries) < c.max {
			break
		}
		delete(c.entries, k)
	}
}

func (c *ttlCache[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
