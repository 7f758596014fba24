package bench

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// rope reads a protobuf message lying in several buffers, in order. A
// field's value is a slice of the buffer it lies in; only a value that
// straddles two buffers is copied.
type rope struct{ bufs [][]byte }

var errTruncated = errors.New("truncated message")

func (r *rope) empty() bool {
	for len(r.bufs) > 0 && len(r.bufs[0]) == 0 {
		r.bufs = r.bufs[1:]
	}
	return len(r.bufs) == 0
}

func (r *rope) byte() (byte, error) {
	if r.empty() {
		return 0, errTruncated
	}
	c := r.bufs[0][0]
	r.bufs[0] = r.bufs[0][1:]
	return c, nil
}

func (r *rope) varint() (uint64, error) {
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

func (r *rope) len() int {
	n := 0
	for _, b := range r.bufs {
		n += len(b)
	}
	return n
}

// take returns the next n bytes.
func (r *rope) take(n int) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if r.empty() {
		return nil, errTruncated
	}
	if len(r.bufs[0]) >= n {
		v := r.bufs[0][:n:n]
		r.bufs[0] = r.bufs[0][n:]
		return v, nil
	}
	if r.len() < n {
		return nil, errTruncated
	}
	out := make([]byte, 0, n)
	for len(out) < n {
		if r.empty() {
			return nil, errTruncated
		}
		k := min(n-len(out), len(r.bufs[0]))
		out = append(out, r.bufs[0][:k]...)
		r.bufs[0] = r.bufs[0][k:]
	}
	return out, nil
}

// eachField calls f with every length-delimited field and skips the others,
// as eachField does for a message in one buffer.
func (r *rope) eachField(f func(protowire.Number, []byte) error) error {
	for !r.empty() {
		tag, err := r.varint()
		if err != nil {
			return err
		}
		num, typ := protowire.DecodeTag(tag)
		if num < protowire.MinValidNumber {
			return errors.New("invalid field number")
		}
		var v []byte
		switch typ {
		case protowire.VarintType:
			_, err = r.varint()
		case protowire.Fixed32Type:
			_, err = r.take(4)
		case protowire.Fixed64Type:
			_, err = r.take(8)
		case protowire.BytesType:
			var n uint64
			if n, err = r.varint(); err == nil {
				v, err = r.take(int(n))
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
