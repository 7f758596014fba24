package model

import (
	"fmt"
	"sort"
	"strings"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/defaults"
)

// Sidecar is an accepted Istio Sidecar as the translation reads it: the
// hosts its egress lists and the outbound traffic policy it sets.
type Sidecar struct {
	Ref      types.NamespacedName
	Selector map[string]string
	// Egress is the union of every egress listener's hosts (ports are not
	// honoured yet, so a host listed on one port is in scope on all).
	Egress []EgressHost
	// Mode is the Sidecar's outboundTrafficPolicy.mode; empty when unset
	// (the mesh default applies).
	Mode string
	// InboundPool is the inboundConnectionPool: the connection pool of
	// every inbound cluster (the proxy's own app), in place of the one the
	// service's DestinationRule sets.
	InboundPool *networkingv1.ConnectionPoolSettings
}

// EgressHost is one "namespace/dnsName" of a Sidecar's egress. Namespace is
// a name, "." (the proxy's own namespace), "*" (any) or "~" (none).
type EgressHost struct {
	Namespace string
	Host      string
}

// sidecarIndex holds the Sidecars by namespace: the one without a selector
// that applies, and those with one, oldest first.
type sidecarIndex struct {
	byNamespace map[string]*Sidecar
	selected    map[string][]*Sidecar
	// pairs index selected by label (sidecar_select.go).
	pairs map[string]*selectorPairs
}

// unhonouredSidecarFields are the Sidecar fields sailplane accepts but does
// not apply yet, reported so that none is silently ignored.
func unhonouredSidecarFields(s *networkingv1.SidecarSpec) []string {
	var out []string
	if len(s.Ingress) > 0 {
		out = append(out, "ingress")
	}
	for i, e := range s.Egress {
		if e.Port != nil {
			out = append(out, fmt.Sprintf("egress[%d].port", i))
		}
		if e.Bind != "" {
			out = append(out, fmt.Sprintf("egress[%d].bind", i))
		}
		if e.CaptureMode != "" {
			out = append(out, fmt.Sprintf("egress[%d].captureMode", i))
		}
	}
	if p := s.OutboundTrafficPolicy; p != nil && p.EgressProxy != nil {
		out = append(out, "outboundTrafficPolicy.egressProxy")
	}
	return out
}

// addSidecars indexes the Sidecars. As in Istio, a namespace has at most
// one Sidecar without a workloadSelector: the oldest wins and the others
// are reported and not applied.
func (m *Model) addSidecars(b *bundle.Bundle) {
	// The mesh configuration's mode is the default of every Sidecar that
	// sets none (and of proxies no Sidecar selects).
	m.OutboundTrafficPolicy = defaults.OutboundTrafficPolicyMode
	if m.Mesh.OutboundTrafficPolicy() == meshv1alpha1.MeshConfig_OutboundTrafficPolicy_REGISTRY_ONLY {
		m.OutboundTrafficPolicy = defaults.OutboundRegistryOnly
	}
	sorted := make([]*networkingv1.Sidecar, len(b.Sidecars))
	for i := range b.Sidecars {
		sorted[i] = &b.Sidecars[i]
	}
	sort.Slice(sorted, func(i, j int) bool { return olderFirst(&sorted[i].ObjectMeta, &sorted[j].ObjectMeta) })
	m.sidecars = sidecarIndex{byNamespace: map[string]*Sidecar{}, selected: map[string][]*Sidecar{}, pairs: map[string]*selectorPairs{}}
	for _, sc := range sorted {
		ref := ObjectRef{Kind: "Sidecar", NamespacedName: types.NamespacedName{Namespace: sc.Namespace, Name: sc.Name}}
		m.Status.Seen(ref)
		s, ok := m.parseSidecar(ref, &sc.Spec)
		if !ok {
			continue
		}
		if len(s.Selector) > 0 {
			m.sidecars.selected[s.Ref.Namespace] = append(m.sidecars.selected[s.Ref.Namespace], s)
			continue
		}
		if first := m.sidecars.byNamespace[s.Ref.Namespace]; first != nil {
			m.Status.Add(ref, "workloadSelector", "namespace %s already has Sidecar %s without a workloadSelector, which is older; only that one applies", s.Ref.Namespace, first.Ref.Name)
			continue
		}
		m.sidecars.byNamespace[s.Ref.Namespace] = s
	}
	for ns, selected := range m.sidecars.selected {
		m.sidecars.pairs[ns] = indexSelectors(selected)
	}
	m.reportOverlappingSidecars()
}

// parseSidecar checks the hosts and reports the fields not honoured. A
// malformed host is reported and skipped, as Istio skips it; an egress
// listener without hosts makes the Sidecar not apply at all.
func (m *Model) parseSidecar(ref ObjectRef, spec *networkingv1.SidecarSpec) (*Sidecar, bool) {
	s := &Sidecar{Ref: ref.NamespacedName}
	if spec.WorkloadSelector != nil {
		s.Selector = spec.WorkloadSelector.Labels
	}
	if p := spec.OutboundTrafficPolicy; p != nil {
		s.Mode = p.Mode
	}
	s.InboundPool = spec.InboundConnectionPool
	ok := true
	for i, e := range spec.Egress {
		if len(e.Hosts) == 0 {
			m.Status.Add(ref, fmt.Sprintf("egress[%d].hosts", i), "must list at least one host; Sidecar not applied")
			ok = false
		}
		for j, h := range e.Hosts {
			ns, host, found := strings.Cut(h, "/")
			if !found || ns == "" || host == "" || strings.Contains(host, "/") {
				m.Status.Add(ref, fmt.Sprintf("egress[%d].hosts[%d]", i, j), "%q is not namespace/dnsName (for example ./* or istio-system/*); the host is ignored", h)
				continue
			}
			s.Egress = append(s.Egress, EgressHost{Namespace: ns, Host: strings.ToLower(host)})
		}
	}
	if len(spec.Egress) == 0 {
		// Istio's default egress when a Sidecar sets none (one that only
		// sets outboundTrafficPolicy, say): every namespace, every host.
		s.Egress = []EgressHost{{Namespace: "*", Host: "*"}}
	}
	for _, f := range unhonouredSidecarFields(spec) {
		m.Status.Add(ref, f, "not honoured by sailplane yet: the field is accepted and has no effect")
	}
	return s, ok
}

// reportOverlappingSidecars reports a pod selected by more than one
// Sidecar of its namespace: Istio leaves the choice undefined; sailplane
// applies the oldest.
func (m *Model) reportOverlappingSidecars() {
	for ref, w := range m.Pods {
		hits := m.sidecars.selecting(ref.Namespace, w.Labels)
		for _, s := range hits[min(1, len(hits)):] {
			m.Status.Add(ObjectRef{Kind: "Sidecar", NamespacedName: s.Ref}, "workloadSelector",
				"also selects pod %s, which Sidecar %s (older) selects; only that one applies to it", ref, hits[0].Ref.Name)
		}
	}
}

// SidecarFor returns the Sidecar that scopes a sidecar proxy in namespace
// ns with the labels, in Istio's order: the oldest one of the namespace
// whose workloadSelector matches, else the namespace's one without a
// selector, else the root namespace's one without a selector (the mesh
// default). nil means no Sidecar applies: the proxy sees every host.
func (m *Model) SidecarFor(ns string, labels map[string]string) *Sidecar {
	if s := m.sidecars.first(ns, labels); s != nil {
		return s
	}
	if s := m.sidecars.byNamespace[ns]; s != nil {
		return s
	}
	return m.sidecars.byNamespace[m.RootNamespace()]
}

// SidecarNamed returns the Sidecar ref names if it applies to some proxy
// (SidecarFor may return it), else nil.
func (m *Model) SidecarNamed(ref types.NamespacedName) *Sidecar {
	if s := m.sidecars.byNamespace[ref.Namespace]; s != nil && s.Ref == ref {
		return s
	}
	for _, s := range m.sidecars.selected[ref.Namespace] {
		if s.Ref == ref {
			return s
		}
	}
	return nil
}

// RegistryOnly reports whether traffic to hosts outside the registry is
// dropped for a proxy under s (nil: no Sidecar): the Sidecar's mode, else
// the mesh's.
func (m *Model) RegistryOnly(s *Sidecar) bool {
	mode := m.OutboundTrafficPolicy
	if s != nil && s.Mode != "" {
		mode = s.Mode
	}
	return mode == defaults.OutboundRegistryOnly
}

// Allows reports whether the Sidecar's egress lets a proxy in namespace
// proxyNS reach host as defined in namespace hostNS. For a VirtualService
// host, which may be a wildcard, it matches either way round, as Istio
// does when it selects the VirtualServices of an egress listener.
func (s *Sidecar) Allows(proxyNS, hostNS, host string) bool {
	host = strings.ToLower(host)
	for _, e := range s.Egress {
		switch e.Namespace {
		case "~":
			continue
		case "*":
		case ".":
			if hostNS != proxyNS {
				continue
			}
		default:
			if hostNS != e.Namespace {
				continue
			}
		}
		if HostMatches(e.Host, host) || strings.HasPrefix(host, "*") && HostMatches(host, e.Host) {
			return true
		}
	}
	return false
}
