package xdsserver

import (
	"sync"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/anypb"
)

// Every stream answered the same content gets the same bytes: a response
// is encoded once, without its nonce, and each stream's message is those
// shared bytes followed by its own nonce field (decoders do not care about
// field order). With 2000 proxies served by some twenty distinct sets,
// that is twenty encodings instead of 2000, and the bytes waiting for the
// wire are the encodings, not a copy per stream.

// encoded is one response body: every field but the nonce. It is never
// written after it is made. Its bytes are parts in order: its own framing
// (version, type, removed names) around the chunks of its resources (see
// chunks.go), which it shares with every body holding the same runs.
type encoded struct {
	parts [][]byte
	// bufs is parts as gRPC takes them, made once: a stream's message
	// copies this slice, not one conversion per part per send.
	bufs mem.BufferSlice
	n    int // len of all parts
	// own is what the body holds of its own (its framing and part
	// lists; the chunks are the chunk cache's): what caching it costs.
	own int
	// version is the response's version_info (SotW) or
	// system_version_info (Delta); size the bytes of its resources, for
	// pilot_xds_config_size_bytes.
	version string
	size    int

	// Large bodies count against the push budget once, however many
	// streams are sending them (see inFlight).
	budget   *pushBudget
	mu       sync.Mutex
	inflight int
	release  func()
}

// outgoing is what a stream hands gRPC: a shared body and the stream's
// nonce. The codec writes it (wireCodec.Marshal).
type outgoing struct {
	enc   *encoded
	nonce string
	// nonceField is 5 in DiscoveryResponse and in DeltaDiscoveryResponse.
	nonceField protowire.Number
}

// wire is the message as gRPC writes it: the shared body, read-only and
// never handed to a pool, then the nonce.
func (o *outgoing) wire() mem.BufferSlice {
	e := o.enc
	out := make(mem.BufferSlice, len(e.bufs), len(e.bufs)+1)
	copy(out, e.bufs)
	out = append(out, mem.SliceBuffer(appendString(nil, o.nonceField, o.nonce)))
	if e.budget == nil || e.n < budgetFrom {
		return out
	}
	// One part carries the send's accounting: gRPC frees it once the
	// message is on the wire. gRPC frees small buffers without telling
	// their pool, so the part must be a large one; a body made only of
	// small parts is not counted (its bytes are the builder's, held anyway).
	for i, p := range e.parts {
		if !mem.IsBelowBufferPoolingThreshold(cap(p)) {
			e.hold()
			out[i] = mem.NewBuffer(&e.parts[i], inFlight{e})
			break
		}
	}
	return out
}

// hold counts one more send of the body; the first of a batch of sends
// waits for room in the budget.
func (e *encoded) hold() {
	e.mu.Lock()
	e.inflight++
	first := e.inflight == 1 && e.release == nil
	e.mu.Unlock()
	if !first {
		return
	}
	r := e.budget.take(e.n)
	e.mu.Lock()
	e.release = r
	e.mu.Unlock()
}

// done is one send's bytes on the wire (or its stream gone); the last one
// gives the room back.
func (e *encoded) done() {
	e.mu.Lock()
	e.inflight--
	var r func()
	if e.inflight == 0 {
		r, e.release = e.release, nil
	}
	e.mu.Unlock()
	if r != nil {
		r()
	}
}

// inFlight is the "pool" gRPC returns a shared body to when it has written
// it: the bytes stay where they are, only the count of sends drops.
type inFlight struct{ e *encoded }

func (p inFlight) Get(n int) *[]byte {
	b := make([]byte, n)
	return &b
}

func (p inFlight) Put(*[]byte) { p.e.done() }

// encSotW encodes a state-of-the-world response body, its resources in
// chunks of cc (nil: referenced one by one).
func encSotW(cc *chunkCache, typeURL, version string, items []*item) *encoded {
	return encSotWRuns(cc, typeURL, version, [][]*item{items})
}

// encSotWRuns is encSotW of a set's runs, in order. A run's chunks end
// with it, so sets sharing a run share its chunks.
func encSotWRuns(cc *chunkCache, typeURL, version string, runs [][]*item) *encoded {
	head := appendString(nil, sotwVersion, version)
	tail := appendString(nil, sotwTypeURL, typeURL)
	var chunks []*chunk
	size := 0
	for _, run := range runs {
		chunks = append(chunks, cc.chunks(sotwEntry, run)...)
		size += valueBytes(run)
	}
	return assemble(head, chunks, tail, version, size)
}

// encDelta encodes a Delta response body.
func encDelta(cc *chunkCache, typeURL, version string, items []*item, removed []string) *encoded {
	head := appendString(nil, deltaVersion, version)
	n := len(typeURL) + 8
	for _, name := range removed {
		n += len(name) + 8
	}
	tail := appendString(make([]byte, 0, n), deltaTypeURL, typeURL)
	for _, name := range removed {
		tail = append(appendLen(tail, deltaRemoved, len(name)), name...) // repeated: empty names are written too
	}
	return assemble(head, cc.chunks(deltaEntry, items), tail, version, valueBytes(items))
}

// assemble makes a body of its framing and its resources' chunks.
func assemble(head []byte, chunks []*chunk, tail []byte, version string, size int) *encoded {
	count := 2
	for _, c := range chunks {
		count += len(c.parts)
	}
	e := &encoded{parts: make([][]byte, 0, count), version: version, size: size}
	add := func(p []byte) {
		if len(p) > 0 {
			e.parts = append(e.parts, p)
			e.n += len(p)
		}
	}
	add(head)
	for _, c := range chunks {
		for _, p := range c.parts {
			add(p)
		}
	}
	add(tail)
	e.bufs = make(mem.BufferSlice, len(e.parts))
	for i, p := range e.parts {
		e.bufs[i] = mem.SliceBuffer(p)
	}
	e.own = len(head) + len(tail) + 40*len(e.parts) // a part and its buffer
	return e
}

func valueBytes(items []*item) int {
	n := 0
	for _, it := range items {
		n += len(it.any.GetValue())
	}
	return n
}

// partWriter assembles parts: what it encodes goes to small, and an Any's
// value of refFrom bytes or more is a part of its own, the builder's bytes.
type partWriter struct {
	parts   [][]byte
	small   []byte
	from    int // start in small of the piece not yet a part
	n       int
	refFrom int
}

// any writes an Any's fields, its value copied or referenced.
func (w *partWriter) any(a *anypb.Any) {
	w.small = appendString(w.small, anyTypeURL, a.TypeUrl)
	if len(a.Value) == 0 {
		return
	}
	w.small = appendLen(w.small, anyValue, len(a.Value))
	if len(a.Value) < w.refFrom {
		w.small = append(w.small, a.Value...)
		return
	}
	w.cut()
	w.parts = append(w.parts, a.Value)
	w.n += len(a.Value)
}

// cut makes what small holds since the last cut a part. The part is capped
// at its length, so later writes to small never reach it.
func (w *partWriter) cut() {
	if len(w.small) > w.from {
		w.parts = append(w.parts, w.small[w.from:len(w.small):len(w.small)])
		w.n += len(w.small) - w.from
	}
	w.from = len(w.small)
}

// encKey names a distinct response content: what the stream holds (from,
// with the names it was sent for), what it gets (to, for the names it asks
// for), and the kind of answer.
type encKey struct {
	kind               encKind
	from, to           *typeSet
	fromNames, toNames namesID
	fromAll, toAll     bool // wildcard
}

type encKind uint8

const (
	sotwWhole encKind = iota // every resource asked for
	sotwDiff                 // what changed since from, of the names asked for
	deltaKind
)

// encodings caches encoded bodies for the last two publishes, bounded in
// bytes: past the bound a body is encoded for its stream alone. Concurrent
// streams asking for the same content wait for one encoding.
type encodings struct {
	budget *pushBudget
	chunks *chunkCache
	bodies *rotating[encKey, *encoded]
}

// maxEncodingBytes bounds the cache by what bodies hold of their own (their
// framing and part lists; the chunks are the chunk cache's).
const maxEncodingBytes = 256 << 20

func newEncodings(budget *pushBudget, max int64) *encodings {
	own := func(e *encoded) int {
		if e == nil {
			return 0
		}
		return e.own
	}
	return &encodings{budget: budget, chunks: newChunkCache(maxChunkBytes), bodies: newRotating[encKey](max, own)}
}

// get returns the body for key, made by build once; nil (nothing to
// send) is remembered too.
func (c *encodings) get(key encKey, build func() *encoded) *encoded {
	if e, ok := c.bodies.get(key, func() *encoded { return c.own(build()) }); ok {
		return e
	}
	return c.own(build())
}

// own makes a body count against the budget.
func (c *encodings) own(e *encoded) *encoded {
	if e != nil {
		e.budget = c.budget
	}
	return e
}

// rotate drops the bodies no stream asked for during the last publish.
func (c *encodings) rotate() {
	c.chunks.rotate()
	c.bodies.rotate()
}
