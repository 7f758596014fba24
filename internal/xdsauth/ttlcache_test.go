package xdsauth

import (
	"testing"
	"time"
)

// fakeClock is a settable clock for expiry tests (no sleeping).
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestTTLCacheExpires(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	c := newTTLCache[string, int](10, clk.now)
	c.put("a", 1, 5*time.Second)
	c.put("never", 2, 0)
	if v, ok := c.get("a"); !ok || v != 1 {
		t.Fatalf("get(a) = %v, %v", v, ok)
	}
	if _, ok := c.get("never"); ok {
		t.Fatal("an entry with ttl 0 was stored")
	}
	clk.advance(5 * time.Second)
	if _, ok := c.get("a"); ok {
		t.Fatal("entry served at its expiry")
	}
}

func TestTTLCacheIsBounded(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	c := newTTLCache[int, int](4, clk.now)
	for i := range 4 {
		c.put(i, i, time.Second)
	}
	clk.advance(2 * time.Second) // all four expired
	c.put(100, 100, time.Hour)
	if c.len() != 1 {
		t.Fatalf("after a sweep of expired entries len = %d, want 1", c.len())
	}
	for i := range 10 {
		c.put(200+i, i, time.Hour)
	}
	if c.len() > 4 {
		t.Fatalf("len = %d, bound is 4", c.len())
	}
	if v, ok := c.get(209); !ok || v != 9 {
		t.Fatalf("the newest entry is missing: %v, %v", v, ok)
	}
}
