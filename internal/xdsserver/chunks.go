package xdsserver

import (
	"encoding/binary"
	"slices"
)

// Most proxies of a mesh share most of their resources but not whole sets:
// a group's clusters are its own inbound clusters plus its namespace's
// outbound ones, so 2000 proxies in 1300 groups get 1300 distinct cluster
// bodies that are each 98% the same bytes. A body is therefore assembled
// from chunks: the encoded entries of a run of consecutive items, copied
// together once and shared by every body that holds the same run.
//
// Where a run ends is decided by its items' content (a bit pattern of the
// last item's fingerprint, once the run is large enough), not by its
// position: two sets that differ only in their first few items, as groups
// of one namespace do, cut their common rest at the same places after the
// first boundary past the difference, and share those chunks. Few large
// chunks also keep what a stream hands gRPC short: a cluster body is some
// sixty buffers, not two per resource.

// entryKind is how a resource is framed in a response.
type entryKind uint8

const (
	sotwEntry  entryKind = iota // DiscoveryResponse.resources: an Any
	deltaEntry                  // DeltaDiscoveryResponse.resources: a Resource
)

const (
	// chunkMin and chunkMax bound a run's encoded bytes; past chunkMin a
	// run ends after an item whose fingerprint matches chunkMask, about
	// one in sixteen.
	chunkMin  = 8 << 10
	chunkMax  = 64 << 10
	chunkMask = 15
	// referenceFrom is the value size from which a chunk references an
	// item's bytes instead of copying them: a route table of 600 KiB is
	// its own chunk, and copying it would only double it.
	referenceFrom = 16 << 10
	// maxChunkBytes bounds the bytes the chunk cache copies. Past it a
	// chunk references its items' bytes (a body then costs its framing
	// per resource, the way every body did before chunks).
	maxChunkBytes = 256 << 20
)

// chunk is the encoded entries of a run of items, in order. It is never
// written after it is made.
type chunk struct {
	items []*item
	parts [][]byte
	n     int // bytes of parts
	own   int // bytes copied into the chunk (the rest are the builder's)
}

type chunkKey struct {
	kind  entryKind
	first *item
	n     int
	h     uint64 // of the items' fingerprints, in order
}

// chunkCache shares chunks between the bodies of the last two publishes,
// like encodings: concurrent bodies needing one chunk wait for one copy.
type chunkCache struct {
	cache *rotating[chunkKey, *chunk]
}

func newChunkCache(max int64) *chunkCache {
	return &chunkCache{cache: newRotating[chunkKey](max, func(c *chunk) int { return c.own })}
}

// rotate drops the chunks no body asked for since the last rotation.
func (cc *chunkCache) rotate() { cc.cache.rotate() }

// chunks encodes items as the entries of one kind, in order, in runs.
// A nil cache makes every run reference its items' bytes.
func (cc *chunkCache) chunks(kind entryKind, items []*item) []*chunk {
	var out []*chunk
	for len(items) > 0 {
		n := runLength(kind, items)
		out = append(out, cc.chunk(kind, items[:n]))
		items = items[n:]
	}
	return out
}

// runLength is how many of items the next run takes.
func runLength(kind entryKind, items []*item) int {
	if len(items[0].any.GetValue()) >= referenceFrom {
		return 1 // a large resource is a run of its own
	}
	acc := 0
	for i, it := range items {
		if i > 0 && len(it.any.GetValue()) >= referenceFrom {
			return i
		}
		acc += entrySize(kind, it)
		if acc >= chunkMax || (acc >= chunkMin && it.fp[len(it.fp)-1]&chunkMask == 0) {
			return i + 1
		}
	}
	return len(items)
}

// chunk returns the run's chunk: the cached one, or a new one (cached
// while the cache has room).
func (cc *chunkCache) chunk(kind entryKind, run []*item) *chunk {
	if cc == nil {
		return encodeRun(kind, run, 1)
	}
	key := chunkKey{kind: kind, first: run[0], n: len(run), h: runHash(run)}
	c, ok := cc.cache.get(key, func() *chunk { return encodeRun(kind, run, referenceFrom) })
	if !ok {
		return encodeRun(kind, run, 1)
	}
	if !slices.Equal(c.items, run) {
		return encodeRun(kind, run, 1) // another run with the same hash
	}
	return c
}

func runHash(run []*item) uint64 {
	h := uint64(14695981039346656037)
	for _, it := range run {
		h = (h ^ binary.LittleEndian.Uint64(it.fp[:8])) * 1099511628211
	}
	return h
}

// encodeRun encodes the run's entries; values of refFrom bytes or more
// are referenced, smaller ones copied.
func encodeRun(kind entryKind, run []*item, refFrom int) *chunk {
	size := 0
	for _, it := range run {
		size += entrySize(kind, it)
		if v := len(it.any.GetValue()); v >= refFrom {
			size -= v
		}
	}
	w := partWriter{small: make([]byte, 0, size), refFrom: refFrom}
	for _, it := range run {
		w.entry(kind, it)
	}
	w.cut()
	return &chunk{items: run, parts: w.parts, n: w.n, own: len(w.small)}
}

// entrySize is the bytes of an item's entry in a response.
func entrySize(kind entryKind, it *item) int {
	if kind == deltaEntry {
		s, _ := resourceSize(it.delta)
		return embeddedSize(deltaResources, s)
	}
	s, _ := anySize(it.any)
	return embeddedSize(sotwResources, s)
}

// entry writes an item's entry.
func (w *partWriter) entry(kind entryKind, it *item) {
	if kind == sotwEntry {
		s, _ := anySize(it.any)
		w.small = appendLen(w.small, sotwResources, s)
		w.any(it.any)
		return
	}
	r := it.delta
	s, _ := resourceSize(r)
	w.small = appendString(appendLen(w.small, deltaResources, s), resVersion, r.Version)
	if r.Resource != nil {
		as, _ := anySize(r.Resource)
		w.small = appendLen(w.small, resResource, as)
		w.any(r.Resource)
	}
	w.small = appendString(w.small, resName, r.Name)
}
