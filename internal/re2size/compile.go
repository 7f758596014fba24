package re2size

import "sort"

// The instruction kinds of an RE2 program that matter for its size.
type opcode uint8

const (
	opFail opcode = iota
	opAlt
	opByteRange
	opCapture
	opEmptyWidth
	opMatch
	opNop
)

type inst struct {
	op       opcode
	out, alt int
}

// hole is an unset out of an instruction: id<<1, |1 for the second (alt)
// out, as RE2's PatchList.
type hole int

// frag is RE2's Frag: the first instruction (0: matches nothing), the outs
// to patch to whatever follows, and whether it can match empty.
type frag struct {
	begin    int
	end      []hole
	nullable bool
}

var noMatch = frag{}

// compiler builds the program as RE2's Compiler does, one fragment
// constructor per RE2 one.
type compiler struct{ inst []inst }

func (c *compiler) alloc(op opcode) int {
	c.inst = append(c.inst, inst{op: op})
	return len(c.inst) - 1
}

func (c *compiler) patch(l []hole, target int) {
	for _, h := range l {
		if h&1 == 0 {
			c.inst[h>>1].out = target
		} else {
			c.inst[h>>1].alt = target
		}
	}
}

func (c *compiler) cat(a, b frag) frag {
	if a.begin == 0 || b.begin == 0 {
		return noMatch
	}
	// RE2 elides a lone leading no-op.
	if in := c.inst[a.begin]; in.op == opNop && len(a.end) == 1 && a.end[0] == hole(a.begin<<1) && in.out == 0 {
		c.patch(a.end, b.begin)
		return b
	}
	c.patch(a.end, b.begin)
	return frag{a.begin, b.end, a.nullable && b.nullable}
}

func (c *compiler) alt(a, b frag) frag {
	if a.begin == 0 {
		return b
	}
	if b.begin == 0 {
		return a
	}
	id := c.alloc(opAlt)
	c.inst[id].out, c.inst[id].alt = a.begin, b.begin
	return frag{id, append(append([]hole(nil), a.end...), b.end...), a.nullable || b.nullable}
}

// loop allocates the Alt of a repetition; greedy takes out first.
func (c *compiler) loop(a frag, nongreedy bool) (int, []hole) {
	id := c.alloc(opAlt)
	if nongreedy {
		c.inst[id].alt = a.begin
		return id, []hole{hole(id << 1)}
	}
	c.inst[id].out = a.begin
	return id, []hole{hole(id<<1 | 1)}
}

func (c *compiler) plus(a frag, nongreedy bool) frag {
	id, pl := c.loop(a, nongreedy)
	c.patch(a.end, id)
	return frag{a.begin, pl, a.nullable}
}

func (c *compiler) star(a frag, nongreedy bool) frag {
	if a.nullable {
		// RE2 compiles a nullable x* as (x+)? for correct priorities.
		return c.quest(c.plus(a, nongreedy), nongreedy)
	}
	id, pl := c.loop(a, nongreedy)
	c.patch(a.end, id)
	return frag{id, pl, true}
}

func (c *compiler) quest(a frag, nongreedy bool) frag {
	if a.begin == 0 {
		return c.nop()
	}
	id, pl := c.loop(a, nongreedy)
	return frag{id, append(pl, a.end...), true}
}

func (c *compiler) single(op opcode, nullable bool) frag {
	id := c.alloc(op)
	return frag{id, []hole{hole(id << 1)}, nullable}
}

func (c *compiler) byteRange() frag  { return c.single(opByteRange, false) }
func (c *compiler) nop() frag        { return c.single(opNop, true) }
func (c *compiler) emptyWidth() frag { return c.single(opEmptyWidth, true) }
func (c *compiler) match() frag      { return frag{begin: c.alloc(opMatch)} }

func (c *compiler) capture(a frag) frag {
	if a.begin == 0 {
		return noMatch
	}
	id := c.alloc(opCapture)
	c.alloc(opCapture)
	c.inst[id].out = a.begin
	c.patch(a.end, id+1)
	return frag{id, []hole{hole((id + 1) << 1)}, a.nullable}
}

// dotStar is the unanchored prefix RE2 puts before a regex that does not
// start with \A: a non-greedy loop over any byte.
func (c *compiler) dotStar() frag { return c.star(c.byteRange(), true) }

// class compiles a character class (rune ranges as pairs) as RE2 does in
// UTF-8 mode: with RE2's ASCII case-folding optimisation (a class that
// treats A-Z like a-z drops its A-Z ranges and folds the others), one
// instruction per ASCII range, RE2's exact shape for 80-10FFFF, and, for
// other non-ASCII ranges, every UTF-8 sequence compiled on its own (RE2
// shares common suffixes: this may count more than RE2, never less).
func (c *compiler) class(pairs []rune) frag {
	ranges := mergeRanges(pairs)
	foldASCII := foldsASCII(ranges)
	f := noMatch
	for _, r := range ranges {
		lo, hi := r[0], r[1]
		if foldASCII && 'A' <= lo && hi <= 'Z' {
			continue
		}
		if lo < 0x80 {
			f = c.alt(f, c.byteRange())
			if hi < 0x80 {
				continue
			}
			lo = 0x80
		}
		if lo == 0x80 && hi == 0x10FFFF {
			f = c.alt(f, c.any80To10FFFF())
			continue
		}
		for _, n := range utf8Sequences(lo, hi) {
			s := c.byteRange()
			for i := 1; i < n; i++ {
				s = c.cat(s, c.byteRange())
			}
			f = c.alt(f, s)
		}
	}
	return f
}

// any80To10FFFF is RE2's Add_80_10ffff in forward mode: three lead-byte
// ranges sharing a chain of three continuation-byte ranges.
func (c *compiler) any80To10FFFF() frag {
	cont1 := c.byteRange()
	cont2 := c.cat(c.byteRange(), cont1)
	cont3 := c.cat(c.byteRange(), cont2)
	lead := func(cont frag) frag {
		id := c.alloc(opByteRange)
		c.inst[id].out = cont.begin
		return frag{begin: id}
	}
	two, three, four := lead(cont1), lead(cont2), lead(cont3)
	f := c.alt(c.alt(two, three), four)
	f.end = cont1.end
	return f
}

func mergeRanges(pairs []rune) [][2]rune {
	var rs [][2]rune
	for i := 0; i+1 < len(pairs); i += 2 {
		rs = append(rs, [2]rune{pairs[i], pairs[i+1]})
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i][0] < rs[j][0] })
	var out [][2]rune
	for _, r := range rs {
		if n := len(out); n > 0 && r[0] <= out[n-1][1]+1 {
			out[n-1][1] = max(out[n-1][1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}

// foldsASCII is RE2's CharClass::FoldsASCII: every ASCII letter in the
// class has its other case in the class too.
func foldsASCII(ranges [][2]rune) bool {
	var upper, lower uint32
	for _, r := range ranges {
		for x := max(r[0], 'A'); x <= min(r[1], 'Z'); x++ {
			upper |= 1 << (x - 'A')
		}
		for x := max(r[0], 'a'); x <= min(r[1], 'z'); x++ {
			lower |= 1 << (x - 'a')
		}
	}
	return upper == lower
}

// utf8Sequences splits a range of non-ASCII runes into ranges each of
// which UTF-8 encodes as one sequence of byte ranges, and returns each
// one's length in bytes.
func utf8Sequences(lo, hi rune) []int {
	for _, b := range []rune{0x7FF, 0xFFFF} {
		if lo <= b && b < hi {
			return append(utf8Sequences(lo, b), utf8Sequences(b+1, hi)...)
		}
	}
	n := 2
	switch {
	case lo > 0xFFFF:
		n = 4
	case lo > 0x7FF:
		n = 3
	}
	for i := 1; i < n; i++ {
		m := rune(1)<<(6*i) - 1
		if lo&^m != hi&^m {
			if lo&m != 0 {
				return append(utf8Sequences(lo, lo|m), utf8Sequences((lo|m)+1, hi)...)
			}
			if hi&m != m {
				return append(utf8Sequences(lo, (hi&^m)-1), utf8Sequences(hi&^m, hi)...)
			}
		}
	}
	return []int{n}
}
