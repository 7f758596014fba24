package re2size

import "sort"

// skipNops is the first half of RE2's Prog::Optimize: from start, every
// out that leads to a no-op leads past it. (The second half turns some
// Alts into AltMatch, which needs a loop over the byte range 00-FF reached
// from start; in UTF-8 mode only the unanchored prefix has one, and it is
// not reached from start.)
func (c *compiler) skipNops(start int) {
	seen := map[int]bool{}
	q := []int{start}
	seen[start] = true
	add := func(id int) {
		if id != 0 && !seen[id] {
			seen[id] = true
			q = append(q, id)
		}
	}
	skip := func(j int) int {
		for j != 0 && c.inst[j].op == opNop {
			j = c.inst[j].out
		}
		return j
	}
	for len(q) > 0 {
		id := q[0]
		q = q[1:]
		in := &c.inst[id]
		in.out = skip(in.out)
		add(in.out)
		if in.op == opAlt {
			in.alt = skip(in.alt)
			add(in.alt)
		}
	}
}

// roots is RE2's rootmap: instruction ids in the order they became roots.
type roots struct {
	index map[int]int
	order []int
}

func (r *roots) add(id int) {
	if _, ok := r.index[id]; !ok {
		r.index[id] = len(r.order)
		r.order = append(r.order, id)
	}
}

func (r *roots) has(id int) bool { _, ok := r.index[id]; return ok }

// flatten counts the instructions of RE2's flattened program: Prog::Flatten
// with its three passes (successor roots, dominator roots, one list per
// root, a no-op wherever a list reaches another root).
func (c *compiler) flatten(startUnanchored, start int) int {
	rs := &roots{index: map[int]int{}}
	rs.add(0)
	rs.add(startUnanchored)
	rs.add(start)
	preds := map[int][]int{}
	reachable := map[int]bool{}
	stk := []int{startUnanchored}
	for len(stk) > 0 {
		id := stk[len(stk)-1]
		stk = stk[:len(stk)-1]
		for !reachable[id] {
			reachable[id] = true
			in := c.inst[id]
			switch in.op {
			case opAlt:
				preds[in.out] = append(preds[in.out], id)
				preds[in.alt] = append(preds[in.alt], id)
				stk = append(stk, in.alt)
				id = in.out
				continue
			case opByteRange, opCapture, opEmptyWidth:
				rs.add(in.out)
				id = in.out
				continue
			case opNop:
				id = in.out
				continue
			}
		}
	}

	sorted := append([]int(nil), rs.order...)
	sort.Ints(sorted)
	for i := len(sorted) - 1; i > 0; i-- {
		if id := sorted[i]; id != startUnanchored && id != start {
			c.markDominator(id, rs, preds)
		}
	}

	size := 0
	for _, root := range rs.order {
		size += c.listSize(root, rs)
	}
	return size
}

// epsilonClosure is the set reachable from root through Alt and no-op
// instructions without entering another root.
func (c *compiler) epsilonClosure(root int, rs *roots, visit func(id int, otherRoot bool)) {
	reachable := map[int]bool{}
	stk := []int{root}
	for len(stk) > 0 {
		id := stk[len(stk)-1]
		stk = stk[:len(stk)-1]
		for !reachable[id] {
			reachable[id] = true
			if id != root && rs.has(id) {
				visit(id, true)
				break
			}
			visit(id, false)
			in := c.inst[id]
			if in.op == opAlt {
				stk = append(stk, in.alt)
				id = in.out
				continue
			}
			if in.op == opNop {
				id = in.out
				continue
			}
		}
	}
}

// markDominator makes a root of every instruction of root's tree that is
// also reached from outside it.
func (c *compiler) markDominator(root int, rs *roots, preds map[int][]int) {
	reach := map[int]bool{}
	var ids []int
	c.epsilonClosure(root, rs, func(id int, _ bool) {
		reach[id] = true
		ids = append(ids, id)
	})
	for _, id := range ids {
		for _, p := range preds[id] {
			if !reach[p] {
				rs.add(id)
			}
		}
	}
}

// listSize is the length of root's list: its matching instructions, and a
// no-op for each other root it reaches.
func (c *compiler) listSize(root int, rs *roots) int {
	n := 0
	c.epsilonClosure(root, rs, func(id int, otherRoot bool) {
		if otherRoot {
			n++
			return
		}
		switch c.inst[id].op {
		case opByteRange, opCapture, opEmptyWidth, opMatch, opFail:
			n++
		}
	})
	return n
}
