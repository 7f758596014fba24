package bench

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// A CPU profile is read here, without a pprof library (none is a module
// dependency), to split the process's CPU time by the role label and to
// list the control plane's most expensive functions. Only the fields of
// profile.proto that this needs are read.

type profSample struct {
	locs  []uint64
	nanos int64
	role  string
}

type profile struct {
	samples   []profSample
	strings   []string
	functions map[uint64]int64    // function id → name (string index)
	locations map[uint64][]uint64 // location id → function ids, leaf first
}

// fields calls fn for every field of a message; varints arrive in x,
// length-delimited fields in v.
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64)) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		fn(num, typ, v, x)
	}
	return nil
}

// varints reads a repeated integer field, packed or not.
func varints(typ protowire.Type, v []byte, x uint64) []uint64 {
	if typ == protowire.VarintType {
		return []uint64{x}
	}
	var out []uint64
	for len(v) > 0 {
		u, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return out
		}
		out, v = append(out, u), v[n:]
	}
	return out
}

func parseProfile(gz []byte) (*profile, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	p := &profile{functions: map[uint64]int64{}, locations: map[uint64][]uint64{}}
	var samples [][]byte
	err = fields(raw, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) {
		switch num {
		case 2:
			samples = append(samples, v)
		case 4:
			p.addLocation(v)
		case 5:
			p.addFunction(v)
		case 6:
			p.strings = append(p.strings, string(v))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("reading the CPU profile: %w", err)
	}
	for _, s := range samples {
		p.samples = append(p.samples, p.sample(s))
	}
	return p, nil
}

func (p *profile) addLocation(b []byte) {
	var id uint64
	var fns []uint64
	_ = fields(b, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) {
		switch num {
		case 1:
			id = x
		case 4:
			_ = fields(v, func(n protowire.Number, _ protowire.Type, _ []byte, fx uint64) {
				if n == 1 {
					fns = append(fns, fx)
				}
			})
		}
	})
	p.locations[id] = fns
}

func (p *profile) addFunction(b []byte) {
	var id uint64
	var name int64
	_ = fields(b, func(num protowire.Number, _ protowire.Type, _ []byte, x uint64) {
		switch num {
		case 1:
			id = x
		case 2:
			name = int64(x)
		}
	})
	p.functions[id] = name
}

// sample reads one sample; CPU profiles carry [count, nanoseconds].
func (p *profile) sample(b []byte) profSample {
	var s profSample
	var labels [][2]uint64
	var vals []uint64
	_ = fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) {
		switch num {
		case 1:
			s.locs = append(s.locs, varints(typ, v, x)...)
		case 2:
			// runtime/pprof packs only lists longer than two.
			vals = append(vals, varints(typ, v, x)...)
		case 3:
			var kv [2]uint64
			_ = fields(v, func(n protowire.Number, _ protowire.Type, _ []byte, lx uint64) {
				if n == 1 || n == 2 {
					kv[n-1] = lx
				}
			})
			labels = append(labels, kv)
		}
	})
	if len(vals) > 1 {
		s.nanos = int64(vals[1])
	}
	for _, kv := range labels {
		if p.str(kv[0]) == roleLabel {
			s.role = p.str(kv[1])
		}
	}
	return s
}

func (p *profile) str(i uint64) string {
	if i < uint64(len(p.strings)) {
		return p.strings[i]
	}
	return ""
}

// byRole sums CPU time per role; unlabelled time (the garbage collector's
// background workers, the runtime) is "runtime".
func (p *profile) byRole() map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, s := range p.samples {
		role := s.role
		if role == "" {
			role = "runtime"
		}
		out[role] += time.Duration(s.nanos)
	}
	return out
}

// FuncCost is a function's CPU time: flat (in the function itself) and
// cumulative (with what it calls).
type FuncCost struct {
	Name      string
	Flat, Cum time.Duration
}

// top lists the n functions of a role that keep accepts with the most
// cumulative time, or with the most flat time when flat is set.
func (p *profile) top(role string, n int, keep func(name string) bool, flat bool) []FuncCost {
	costs := map[string]*FuncCost{}
	get := func(name string) *FuncCost {
		c := costs[name]
		if c == nil {
			c = &FuncCost{Name: name}
			costs[name] = c
		}
		return c
	}
	for _, s := range p.samples {
		if s.role != role {
			continue
		}
		seen := map[string]bool{}
		for i, loc := range s.locs {
			for j, fn := range p.locations[loc] {
				name := p.str(uint64(p.functions[fn]))
				if i == 0 && j == 0 {
					get(name).Flat += time.Duration(s.nanos)
				}
				if !seen[name] {
					seen[name] = true
					get(name).Cum += time.Duration(s.nanos)
				}
			}
		}
	}
	out := make([]FuncCost, 0, len(costs))
	for _, c := range costs {
		if keep == nil || keep(c.Name) {
			out = append(out, *c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Cum, out[j].Cum
		if flat {
			a, b = out[i].Flat, out[j].Flat
		}
		if a != b {
			return a > b
		}
		return out[i].Name < out[j].Name
	})
	return out[:min(n, len(out))]
}

// cumOf sums, for a role, the time of the samples whose stacks hold each
// named function (matched by suffix) or one of its closures.
func (p *profile) cumOf(role string, funcs []string) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, s := range p.samples {
		if s.role != role {
			continue
		}
		for _, w := range funcs {
			if p.stackHolds(s, w) {
				out[w] += time.Duration(s.nanos)
			}
		}
	}
	return out
}

// stackHolds reports whether a sample's stack holds w or one of its
// closures: a closure run on a goroutine of its own (parallel.Each's) has
// a stack without w, yet its time is w's. Each sample counts once.
func (p *profile) stackHolds(s profSample, w string) bool {
	for _, loc := range s.locs {
		for _, fn := range p.locations[loc] {
			name := p.str(uint64(p.functions[fn]))
			if strings.HasSuffix(name, w) || strings.Contains(name, w+".func") {
				return true
			}
		}
	}
	return false
}
