package model

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/types"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	telemetryv1 "github.com/sailplane/sailplane/api/telemetry/v1"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/meshconfig"
)

// Telemetry is a Telemetry object as the model reads it.
type Telemetry struct {
	Ref  types.NamespacedName
	Spec telemetryv1.TelemetrySpec
}

// TelemetryRef is the status key of a Telemetry.
func TelemetryRef(ref types.NamespacedName) ObjectRef {
	return ObjectRef{Kind: "Telemetry", NamespacedName: ref}
}

// TelemetryPolicies are the accepted Telemetries by scope: the mesh-wide
// one (root namespace, no selector), one per namespace (no selector), and
// those selecting workloads, per namespace.
type TelemetryPolicies struct {
	mesh          *Telemetry
	namespace     map[string]*Telemetry
	workload      map[string][]*Telemetry
	rootNamespace string
}

// TelemetriesFor lists the Telemetries that apply to a workload, least
// specific first (mesh, namespace, workload): later ones override earlier
// ones field by field.
func (p *TelemetryPolicies) TelemetriesFor(namespace string, labels map[string]string) []*Telemetry {
	if p == nil {
		return nil
	}
	var out []*Telemetry
	if p.mesh != nil {
		out = append(out, p.mesh)
	}
	if t := p.namespace[namespace]; t != nil && namespace != p.rootNamespace {
		out = append(out, t)
	}
	for _, t := range p.workload[namespace] {
		if SelectsLabels(selectorLabels(t.Spec.Selector), labels) {
			out = append(out, t)
			break // the oldest selecting one; the others are reported
		}
	}
	return out
}

// addTelemetries indexes the Telemetries, oldest first (Istio's order when
// two claim the same scope), and reports what sailplane does not honour.
func (m *Model) addTelemetries(b *bundle.Bundle) {
	list := make([]telemetryv1.Telemetry, len(b.Telemetries))
	copy(list, b.Telemetries)
	sort.SliceStable(list, func(i, j int) bool {
		a, c := list[i], list[j]
		if !a.CreationTimestamp.Equal(&c.CreationTimestamp) {
			return a.CreationTimestamp.Before(&c.CreationTimestamp)
		}
		if a.Namespace != c.Namespace {
			return a.Namespace < c.Namespace
		}
		return a.Name < c.Name
	})
	root := m.Mesh.RootNamespace()
	p := &TelemetryPolicies{namespace: map[string]*Telemetry{}, workload: map[string][]*Telemetry{}, rootNamespace: root}
	for i := range list {
		t := &Telemetry{Ref: types.NamespacedName{Namespace: list[i].Namespace, Name: list[i].Name}, Spec: list[i].Spec}
		ref := TelemetryRef(t.Ref)
		m.Status.Seen(ref)
		m.checkTelemetry(ref, t)
		switch {
		case t.Spec.TargetRef != nil || len(t.Spec.TargetRefs) > 0:
			m.Status.Add(ref, "spec.targetRefs", "not honoured: sailplane serves no Kubernetes Gateway API gateways or waypoints; the Telemetry applies to no workload")
		case len(selectorLabels(t.Spec.Selector)) > 0:
			p.workload[t.Ref.Namespace] = append(p.workload[t.Ref.Namespace], t)
		case t.Ref.Namespace == root && p.mesh == nil:
			p.mesh = t
		case t.Ref.Namespace == root:
			m.Status.Add(ref, "", "Telemetry %s is the mesh-wide one (oldest in root namespace %s); this one is ignored", p.mesh.Ref, root)
		case p.namespace[t.Ref.Namespace] == nil:
			p.namespace[t.Ref.Namespace] = t
		default:
			m.Status.Add(ref, "", "Telemetry %s is the namespace-wide one (the oldest without selector); this one is ignored", p.namespace[t.Ref.Namespace].Ref)
		}
	}
	m.Telemetry = p
}

// checkTelemetry reports providers the mesh configuration does not
// define or of the wrong kind, and the fields sailplane does not honour.
func (m *Model) checkTelemetry(ref ObjectRef, t *Telemetry) {
	for i, tr := range t.Spec.Tracing {
		for j, pr := range tr.Providers {
			m.checkProvider(ref, fmt.Sprintf("spec.tracing[%d].providers[%d].name", i, j), pr.Name, "zipkin", "opentelemetry")
		}
		if tr.UseRequestIdForTraceSampling != nil {
			m.Status.Add(ref, fmt.Sprintf("spec.tracing[%d].useRequestIdForTraceSampling", i), "not honoured by sailplane")
		}
		if tr.EnableIstioTags != nil {
			m.Status.Add(ref, fmt.Sprintf("spec.tracing[%d].enableIstioTags", i), "not honoured by sailplane: Istio's tags come from its own Envoy filters")
		}
	}
	for i, al := range t.Spec.AccessLogging {
		for j, pr := range al.Providers {
			m.checkProvider(ref, fmt.Sprintf("spec.accessLogging[%d].providers[%d].name", i, j), pr.Name, "envoyFileAccessLog", "envoyOtelAls")
		}
	}
	if len(t.Spec.Metrics) > 0 {
		m.Status.Add(ref, "spec.metrics", "not honoured: Istio's request metrics come from Istio's own Envoy filters (istio.stats), which upstream Envoy does not have; Envoy's own statistics are served on port 15090")
	}
}

func (m *Model) checkProvider(ref ObjectRef, field, name string, kinds ...string) {
	p := m.Mesh.ExtensionProvider(name)
	if p == nil {
		if name == meshconfig.EnvoyProvider && kinds[0] == "envoyFileAccessLog" {
			return // Istio's built-in stdout log
		}
		m.Status.Add(ref, field, "no extensionProvider %q in the mesh configuration", name)
		return
	}
	kind := meshconfig.ProviderKind(p)
	for _, k := range kinds {
		if k == kind {
			return
		}
	}
	m.Status.Add(ref, field, "provider %q is of kind %s; want %v", name, kind, kinds)
}

func selectorLabels(s *securityv1.WorkloadSelector) map[string]string {
	if s == nil || len(s.MatchLabels) == 0 {
		return nil
	}
	out := make(map[string]string, len(s.MatchLabels))
	for k, v := range s.MatchLabels {
		out[k] = string(v)
	}
	return out
}
