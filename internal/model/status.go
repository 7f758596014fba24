package model

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/types"
)

// ObjectRef names an Istio object.
type ObjectRef struct {
	Kind string
	types.NamespacedName
}

func (r ObjectRef) String() string { return r.Kind + " " + r.Namespace + "/" + r.Name }

// Problem is one reason an object is not (fully) accepted: the field and
// why.
type Problem struct {
	Field  string
	Reason string
}

// Status collects problems per object. An object with none is Accepted.
type Status struct {
	objects  map[ObjectRef]bool
	problems map[ObjectRef][]Problem
}

// NewStatus returns an empty status set.
func NewStatus() *Status {
	return &Status{objects: map[ObjectRef]bool{}, problems: map[ObjectRef][]Problem{}}
}

// clone is a copy that problems added to either do not reach the other.
func (s *Status) clone() *Status {
	c := &Status{objects: maps.Clone(s.objects), problems: make(map[ObjectRef][]Problem, len(s.problems))}
	for ref, probs := range s.problems {
		c.problems[ref] = slices.Clip(probs)
	}
	return c
}

// Seen records that the object exists, so it reports as Accepted when it
// has no problems.
func (s *Status) Seen(ref ObjectRef) { s.objects[ref] = true }

// Add records a problem with a field of the object. Duplicates (the same
// problem found while generating for several proxies) are kept once.
func (s *Status) Add(ref ObjectRef, field, format string, args ...any) {
	s.objects[ref] = true
	p := Problem{Field: field, Reason: fmt.Sprintf(format, args...)}
	for _, q := range s.problems[ref] {
		if q == p {
			return
		}
	}
	s.problems[ref] = append(s.problems[ref], p)
}

// Problems returns the object's problems in the order found.
func (s *Status) Problems(ref ObjectRef) []Problem { return s.problems[ref] }

// Objects returns every object seen, sorted by String (each rendered
// once: comparing rendered pairs allocated two strings per comparison).
func (s *Status) Objects() []ObjectRef {
	type keyed struct {
		key string
		ref ObjectRef
	}
	all := make([]keyed, 0, len(s.objects))
	for r := range s.objects {
		all = append(all, keyed{r.String(), r})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].key < all[j].key })
	out := make([]ObjectRef, len(all))
	for i, k := range all {
		out[i] = k.ref
	}
	return out
}

// EachObject calls fn for every object seen, in no order.
func (s *Status) EachObject(fn func(ObjectRef)) {
	for r := range s.objects {
		fn(r)
	}
}

// Lines renders every problem as "Kind ns/name: field: reason", sorted, the
// form sailctl prints and status messages use.
func (s *Status) Lines() []string {
	var out []string
	for _, ref := range s.Objects() {
		for _, p := range s.problems[ref] {
			out = append(out, FormatProblem(ref, p))
		}
	}
	return out
}

// Canonical renders every object seen, each with its problems sorted, one
// object a line: the same text for the same status however its problems
// were gathered (Compute adds them from its translations in no fixed
// order), so two computations' statuses compare as strings.
func (s *Status) Canonical() string {
	var out []string
	for _, ref := range s.Objects() {
		var probs []string
		for _, p := range s.problems[ref] {
			probs = append(probs, FormatProblem(ref, p))
		}
		sort.Strings(probs)
		out = append(out, ref.String()+": "+strings.Join(probs, " | "))
	}
	return strings.Join(out, "\n")
}

// FormatProblem renders one problem.
func FormatProblem(ref ObjectRef, p Problem) string {
	if p.Field == "" {
		return fmt.Sprintf("%s: %s", ref, p.Reason)
	}
	return fmt.Sprintf("%s: %s: %s", ref, p.Field, p.Reason)
}
