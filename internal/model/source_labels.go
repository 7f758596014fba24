package model

import "sort"

// sourceLabelKeys collects every label key a rule selects proxies by:
// VirtualService match sourceLabels (http, tcp, tls), DestinationRule
// workloadSelectors and the labels failoverPriority compares. Two proxies in one namespace that agree on these
// labels get the same outbound configuration.
func (m *Model) sourceLabelKeys() []string {
	set := map[string]bool{}
	add := func(labels map[string]string) {
		for k := range labels {
			set[k] = true
		}
	}
	for _, vs := range m.VirtualServices {
		for _, r := range vs.Spec.HTTP {
			for _, mt := range r.Match {
				add(mt.SourceLabels)
			}
		}
		for _, r := range vs.Spec.TCP {
			for _, mt := range r.Match {
				add(mt.SourceLabels)
			}
		}
		for _, r := range vs.Spec.TLS {
			for _, mt := range r.Match {
				add(mt.SourceLabels)
			}
		}
	}
	for _, dr := range m.DestinationRules {
		if dr.Spec.WorkloadSelector != nil {
			add(dr.Spec.WorkloadSelector.MatchLabels)
		}
	}
	_, priority := m.localityRules()
	for _, k := range priority {
		set[k] = true
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
