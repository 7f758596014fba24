package model

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/bundle"
)

// Topology labels Istio reads a locality from (and writes it back into the
// labels failoverPriority matches on).
const (
	LabelRegion  = "topology.kubernetes.io/region"
	LabelZone    = "topology.kubernetes.io/zone"
	LabelSubzone = "topology.istio.io/subzone"
	// LabelLocality on a pod overrides its node: "region.zone.subzone"
	// (dots, since a label value cannot hold "/"), or the slash form.
	LabelLocality = "istio-locality"

	legacyRegion = "failure-domain.beta.kubernetes.io/region"
	legacyZone   = "failure-domain.beta.kubernetes.io/zone"
)

// Locality is Istio's "region/zone/subzone" form; a missing part is empty,
// so a zone known without its region (an EndpointSlice's zone) is "/zone".
// The empty string is an unknown locality.
type Locality = string

// FormatLocality joins the parts, dropping empty trailing ones.
func FormatLocality(region, zone, subzone string) Locality {
	switch {
	case subzone != "":
		return region + "/" + zone + "/" + subzone
	case zone != "":
		return region + "/" + zone
	}
	return region
}

// SplitLocality is FormatLocality's inverse, as Istio splits a locality:
// one part is a region.
func SplitLocality(l Locality) (region, zone, subzone string) {
	parts := strings.SplitN(l, "/", 3)
	switch len(parts) {
	case 3:
		return parts[0], parts[1], parts[2]
	case 2:
		return parts[0], parts[1], ""
	}
	return parts[0], "", ""
}

// LocalityLabels returns labels with the locality's topology labels set,
// as Istio augments endpoint and proxy labels before failoverPriority
// compares them. labels is not modified.
func LocalityLabels(labels map[string]string, l Locality) map[string]string {
	if l == "" {
		return labels
	}
	out := make(map[string]string, len(labels)+3)
	for k, v := range labels {
		out[k] = v
	}
	region, zone, subzone := SplitLocality(l)
	for k, v := range map[string]string{LabelRegion: region, LabelZone: zone, LabelSubzone: subzone} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// nodeLocalities reads every node's topology labels.
func nodeLocalities(b *bundle.Bundle) map[string]Locality {
	out := map[string]Locality{}
	for i := range b.Nodes {
		n := &b.Nodes[i]
		if l := labelsLocality(n.Labels); l != "" {
			out[n.Name] = l
		}
	}
	return out
}

func labelsLocality(l map[string]string) Locality {
	region := firstOf(l, LabelRegion, legacyRegion)
	zone := firstOf(l, LabelZone, legacyZone)
	return FormatLocality(region, zone, l[LabelSubzone])
}

func firstOf(l map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := l[k]; v != "" {
			return v
		}
	}
	return ""
}

// podLocality is where Istio places a pod: its istio-locality label, else
// its node's topology labels.
func podLocality(p *corev1.Pod, nodes map[string]Locality) Locality {
	if v := p.Labels[LabelLocality]; v != "" {
		if strings.Contains(v, "/") {
			return v
		}
		return strings.ReplaceAll(v, ".", "/")
	}
	return nodes[p.Spec.NodeName]
}

// sliceLocality is an EndpointSlice endpoint's locality when its pod does
// not say: the node it names, else the slice's zone (region unknown).
func sliceLocality(ep discoveryv1.Endpoint, nodes map[string]Locality) Locality {
	if ep.NodeName != nil {
		if l := nodes[*ep.NodeName]; l != "" {
			return l
		}
	}
	if ep.Zone != nil && *ep.Zone != "" {
		return "/" + *ep.Zone
	}
	return ""
}

// podLocalitiesFromSlices gives pods whose own labels and node say nothing
// the locality their EndpointSlice endpoints carry. Without a Node watch
// this is how a live cluster's pods, proxies included, get a zone.
func (m *Model) podLocalitiesFromSlices(b *bundle.Bundle, nodes map[string]Locality) {
	unknown := func(ref types.NamespacedName) bool {
		w := m.Pods[ref]
		return w != nil && w.Locality == ""
	}
	for ref, l := range localitiesFromSlices(b, nodes, unknown) {
		m.Pods[ref].Locality = l
	}
}

// localitiesFromSlices are, for the pods unknown names, the first
// locality an endpoint naming the pod carries, in slice order.
func localitiesFromSlices(b *bundle.Bundle, nodes map[string]Locality, unknown func(types.NamespacedName) bool) map[types.NamespacedName]Locality {
	out := map[types.NamespacedName]Locality{}
	for i := range b.EndpointSlices {
		es := &b.EndpointSlices[i]
		for _, ep := range es.Endpoints {
			if ep.TargetRef == nil || ep.TargetRef.Kind != "Pod" {
				continue
			}
			ns := ep.TargetRef.Namespace
			if ns == "" {
				ns = es.Namespace
			}
			ref := types.NamespacedName{Namespace: ns, Name: ep.TargetRef.Name}
			if _, found := out[ref]; found || !unknown(ref) {
				continue
			}
			if l := sliceLocality(ep, nodes); l != "" {
				out[ref] = l
			}
		}
	}
	return out
}

// localityRules walks every layer of every DestinationRule's policy: it
// reports whether any makes endpoints depend on the proxy's locality
// (outlier detection turns on Istio's default failover; distribute weighs
// localities whatever else is set) and the proxy label keys any
// failoverPriority compares.
func (m *Model) localityRules() (aware bool, labelKeys []string) {
	visit := func(lb *networkingv1.LoadBalancerSettings, od *networkingv1.OutlierDetection) {
		var l *networkingv1.LocalityLoadBalancerSetting
		if lb != nil {
			l = lb.LocalityLbSetting
		}
		if l != nil && l.Enabled != nil && !*l.Enabled {
			return
		}
		if od != nil || (l != nil && len(l.Distribute) > 0) {
			aware = true
		}
		if od != nil && l != nil {
			for _, p := range l.FailoverPriority {
				key, _, _ := strings.Cut(p, "=")
				labelKeys = append(labelKeys, key)
			}
		}
	}
	layer := func(tp *networkingv1.TrafficPolicy) {
		if tp == nil {
			return
		}
		visit(tp.LoadBalancer, tp.OutlierDetection)
		for i := range tp.PortLevelSettings {
			pl := &tp.PortLevelSettings[i]
			visit(pl.LoadBalancer, pl.OutlierDetection)
		}
	}
	for _, dr := range m.DestinationRules {
		layer(dr.Spec.TrafficPolicy)
		for i := range dr.Spec.Subsets {
			layer(dr.Spec.Subsets[i].TrafficPolicy)
		}
	}
	return aware, labelKeys
}
