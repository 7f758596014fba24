package xdsserver

import "sync"

// rotating caches values for the last two generations (a generation ends
// with each publish and each sweep), bounded by the bytes its values hold:
// what nobody asked for during a whole generation is let go, and a
// steady control plane holds nothing here. Concurrent callers of one key
// wait for one build.
type rotating[K comparable, V any] struct {
	mu        sync.Mutex
	cur, prev map[K]*slot[V]
	bytes     int64
	max       int64
	size      func(V) int
}

type slot[V any] struct {
	once sync.Once
	v    V
	made bool // v is built (under the cache's lock)
}

func newRotating[K comparable, V any](max int64, size func(V) int) *rotating[K, V] {
	return &rotating[K, V]{max: max, size: size, cur: map[K]*slot[V]{}, prev: map[K]*slot[V]{}}
}

// get returns key's value, built by build once. ok is false, and nothing
// is built, when the key is not cached and the cache is full: the caller
// then makes a value of its own.
func (r *rotating[K, V]) get(key K, build func() V) (v V, ok bool) {
	r.mu.Lock()
	s, ok := r.cur[key]
	if !ok {
		if s, ok = r.prev[key]; ok {
			r.cur[key] = s
		}
	}
	if !ok && r.bytes < r.max {
		s, ok = &slot[V]{}, true
		r.cur[key] = s
	}
	r.mu.Unlock()
	if !ok {
		return v, false
	}
	s.once.Do(func() {
		made := build()
		r.mu.Lock()
		s.v, s.made = made, true // under the lock: rotate reads them
		r.bytes += int64(r.size(made))
		r.mu.Unlock()
	})
	return s.v, true
}

// rotate starts a generation: values not asked for since the last
// rotation go.
func (r *rotating[K, V]) rotate() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prev, r.cur = r.cur, map[K]*slot[V]{}
	r.bytes = 0
	for _, s := range r.prev {
		if s.made { // one being built is counted when it is done
			r.bytes += int64(r.size(s.v))
		}
	}
}
