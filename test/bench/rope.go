package bench

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// rope reads a protobuf message lying in several buffers, in order. A
// field's value is a rope of its own over the same buffers: nothing is
// copied, not even a route table of 600 KiB lying across forty buffers
// (its hash is computed piece by piece, and it is joined only when the
// store first sees it). A rope is a view, n bytes from offset off of
// bufs[i]; bufs is shared and never modified, so taking a field costs no
// allocation.
type rope struct {
	bufs   [][]byte
	i, off int
	n      int
}

func ropeOf(bufs ...[]byte) rope {
	r := rope{bufs: bufs}
	for _, b := range bufs {
		r.n += len(b)
	}
	return r
}

var errTruncated = errors.New("truncated message")

// each calls f with the rope's bytes, piece by piece.
func (r rope) each(f func([]byte)) {
	for i, off, n := r.i, r.off, r.n; n > 0; i, off = i+1, 0 {
		k := min(n, len(r.bufs[i])-off)
		if k > 0 {
			f(r.bufs[i][off : off+k])
		}
		n -= k
	}
}

// flat returns the rope's bytes in one slice, copying only when they lie
// in several buffers.
func (r rope) flat() []byte {
	if b := r.flatIfOne(); b != nil || r.n == 0 {
		return b
	}
	out := make([]byte, 0, r.n)
	r.each(func(b []byte) { out = append(out, b...) })
	return out
}

// flatIfOne returns the rope's bytes when they lie in one buffer (nil
// otherwise).
func (r rope) flatIfOne() []byte {
	if r.n == 0 {
		return nil
	}
	r.skipEmpty()
	if len(r.bufs[r.i])-r.off >= r.n {
		return r.bufs[r.i][r.off : r.off+r.n : r.off+r.n]
	}
	return nil
}

func (r *rope) skipEmpty() {
	for r.n > 0 && r.off == len(r.bufs[r.i]) {
		r.i, r.off = r.i+1, 0
	}
}

func (r *rope) byte() (byte, error) {
	if r.n == 0 {
		return 0, errTruncated
	}
	r.skipEmpty()
	c := r.bufs[r.i][r.off]
	r.off++
	r.n--
	return c, nil
}

func (r *rope) varint() (uint64, error) {
	// Most varints lie whole in the current buffer: read them there.
	// Reading byte by byte took a tenth of the simulated proxies' CPU.
	r.skipEmpty()
	if r.n > 0 {
		b := r.bufs[r.i][r.off:min(len(r.bufs[r.i]), r.off+r.n)]
		if x, k := protowire.ConsumeVarint(b); k > 0 {
			r.off += k
			r.n -= k
			return x, nil
		}
	}
	return r.varintAcross()
}

// varintAcross reads a varint byte by byte, across buffers.
func (r *rope) varintAcross() (uint64, error) {
	var x uint64
	for shift := uint(0); shift < 64; shift += 7 {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return x, nil
		}
	}
	return 0, errors.New("varint overflows 64 bits")
}

// sub takes the next n bytes as a rope of their own.
func (r *rope) sub(n int) (rope, error) {
	if n > r.n {
		return rope{}, errTruncated
	}
	out := rope{bufs: r.bufs, i: r.i, off: r.off, n: n}
	r.n -= n
	for n > 0 {
		k := min(n, len(r.bufs[r.i])-r.off)
		r.off += k
		n -= k
		if n > 0 {
			r.i, r.off = r.i+1, 0
		}
	}
	return out, nil
}

// eachField calls f with every length-delimited field and skips the
// others.
func (r *rope) eachField(f func(protowire.Number, rope) error) error {
	for r.n > 0 {
		tag, err := r.varint()
		if err != nil {
			return err
		}
		num, typ := protowire.DecodeTag(tag)
		if num < protowire.MinValidNumber {
			return errors.New("invalid field number")
		}
		var v rope
		switch typ {
		case protowire.VarintType:
			_, err = r.varint()
		case protowire.Fixed32Type:
			_, err = r.sub(4)
		case protowire.Fixed64Type:
			_, err = r.sub(8)
		case protowire.BytesType:
			var n uint64
			if n, err = r.varint(); err == nil {
				if n > uint64(r.n) {
					return errTruncated
				}
				v, err = r.sub(int(n))
			}
		default:
			err = errors.New("unsupported wire type")
		}
		if err != nil {
			return err
		}
		if typ == protowire.BytesType {
			if err := f(num, v); err != nil {
				return err
			}
		}
	}
	return nil
}
