package model

import "slices"

// Which Sidecar scopes a proxy was found by asking SelectsLabels of every
// Sidecar with a selector in its namespace, for every proxy on every
// reconcile, and again for every pod when Build looked for overlapping
// selectors: with a Sidecar per workload that is namespaces × their
// Sidecars × their pods. A Sidecar selects a pod only if the pod carries
// the Sidecar's first label (key and value), so candidates come from the
// pod's own labels; SelectsLabels still decides.

// selectorPairs indexes a namespace's selecting Sidecars (positions in
// sidecarIndex.selected) by their selector's first label; always are
// those a pod may match without carrying that label (an empty value
// matches a missing label).
type selectorPairs struct {
	byPair map[[2]string][]int
	always []int
}

func indexSelectors(selected []*Sidecar) *selectorPairs {
	x := &selectorPairs{byPair: map[[2]string][]int{}}
	for i, s := range selected {
		keys := make([]string, 0, len(s.Selector))
		for k := range s.Selector {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if slices.ContainsFunc(keys, func(k string) bool { return s.Selector[k] == "" }) {
			x.always = append(x.always, i)
			continue
		}
		pair := [2]string{keys[0], s.Selector[keys[0]]}
		x.byPair[pair] = append(x.byPair[pair], i)
	}
	return x
}

// selecting are the namespace's Sidecars with a selector that selects
// labels, oldest first.
func (x sidecarIndex) selecting(ns string, labels map[string]string) []*Sidecar {
	var out []*Sidecar
	x.each(ns, labels, func(s *Sidecar) bool {
		out = append(out, s)
		return true
	})
	return out
}

// first is the oldest of selecting, nil when none: what SidecarFor asks
// several times per proxy and reconcile, so it allocates nothing for a pod
// with a few labels.
func (x sidecarIndex) first(ns string, labels map[string]string) *Sidecar {
	var found *Sidecar
	x.each(ns, labels, func(s *Sidecar) bool {
		found = s
		return false
	})
	return found
}

// each calls yield with the Sidecars selecting labels, oldest first,
// until it returns false.
func (x sidecarIndex) each(ns string, labels map[string]string, yield func(*Sidecar) bool) {
	selected := x.selected[ns]
	pairs := x.pairs[ns]
	if pairs == nil {
		for _, s := range selected {
			if SelectsLabels(s.Selector, labels) && !yield(s) {
				return
			}
		}
		return
	}
	var buf [16]int
	cand := append(buf[:0], pairs.always...)
	for k, v := range labels {
		cand = append(cand, pairs.byPair[[2]string{k, v}]...)
	}
	slices.Sort(cand)
	for _, i := range slices.Compact(cand) {
		if s := selected[i]; SelectsLabels(s.Selector, labels) && !yield(s) {
			return
		}
	}
}
