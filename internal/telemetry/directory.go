package telemetry

import (
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// Directory answers, from one reconcile's model, who a reporting node is
// and what a cluster name it reports on stands for. A nil model knows
// nobody: every label it would give is unknown.
type Directory struct {
	m *model.Model
}

// NewDirectory wraps a model, which must not change afterwards.
func NewDirectory(m *model.Model) *Directory { return &Directory{m: m} }

// Source is the reporting workload.
type Source struct {
	Workload, Namespace, Principal                    string
	App, Version, CanonicalService, CanonicalRevision string
	labels                                            map[string]string
}

// Destination is what a cluster reaches.
type Destination struct {
	Service, ServiceName, ServiceNamespace    string
	Workload, WorkloadNamespace, App, Version string
	CanonicalService, CanonicalRevision       string
}

// Source describes the node: its pod's labels when the model knows the
// pod, otherwise the LABELS and WORKLOAD_NAME the node announced in its
// metadata. principal is the SPIFFE id the caller proved ("" when it
// proved none).
func (d *Directory) Source(node names.Node, meta *structpb.Struct, principal string) Source {
	s := Source{Namespace: node.Namespace, Principal: orUnknown(principal)}
	if w := d.pod(node.Namespace, node.Pod); w != nil {
		s.labels, s.Workload = w.Labels, workloadName(w)
	} else {
		s.labels = metaLabels(meta)
		s.Workload = first(metaStrings(meta), node.Pod, "WORKLOAD_NAME")
	}
	s.App = orUnknown(s.labels["app"])
	s.Version = orUnknown(s.labels["version"])
	s.CanonicalService = canonicalService(s.labels, s.Workload)
	s.CanonicalRevision = canonicalRevision(s.labels)
	return s
}

// Destination describes an outbound cluster (`outbound|port|subset|host`)
// as seen from src: the service it names; the subset's version label; and
// the workload, app and canonical labels when the endpoints the cluster
// selects all belong to one workload. Anything else is unknown.
func (d *Directory) Destination(cluster string, src Source) Destination {
	out := Destination{Service: Unknown, ServiceName: Unknown, ServiceNamespace: Unknown, Workload: Unknown,
		WorkloadNamespace: Unknown, App: Unknown, Version: Unknown, CanonicalService: Unknown, CanonicalRevision: Unknown}
	key, ok := names.ParseCluster(cluster)
	if !ok || key.Direction != names.Outbound {
		out.Service = orUnknown(cluster)
		return out
	}
	out.Service = key.Host
	var svc *model.Service
	if d.m != nil {
		svc = d.m.Services[key.Host]
	}
	if svc == nil {
		return out
	}
	out.ServiceName, out.ServiceNamespace = svc.Name, svc.Namespace
	subset := d.subsetLabels(src, svc, key.Subset)
	if v := subset["version"]; v != "" {
		out.Version = v
	}
	w := d.onlyWorkload(svc, key.Port, subset)
	if w == nil {
		return out
	}
	out.Workload, out.WorkloadNamespace = workloadName(w), w.Ref.Namespace
	out.App = orUnknown(w.Labels["app"])
	if out.Version == Unknown {
		out.Version = orUnknown(w.Labels["version"])
	}
	out.CanonicalService = canonicalService(w.Labels, out.Workload)
	out.CanonicalRevision = canonicalRevision(w.Labels)
	return out
}

// subsetLabels are the labels of the named subset of the DestinationRule
// that applies to src's traffic to svc (nil for no subset).
func (d *Directory) subsetLabels(src Source, svc *model.Service, subset string) map[string]string {
	if subset == "" {
		return nil
	}
	dr := d.m.DestinationRuleFor(src.Namespace, src.labels, svc)
	if dr == nil {
		return nil
	}
	if ss := dr.Subset(subset); ss != nil {
		return ss.Labels
	}
	return nil
}

// onlyWorkload is the one workload behind the port's endpoints that match
// the subset, or nil when there are none, several, or some endpoint is no
// known pod.
func (d *Directory) onlyWorkload(svc *model.Service, port uint32, subset map[string]string) *model.Workload {
	sel := labels.SelectorFromSet(subset)
	found := map[types.NamespacedName]*model.Workload{}
	for _, e := range svc.Endpoints[port] {
		if !sel.Matches(labels.Set(e.Labels)) {
			continue
		}
		if e.Pod == nil {
			return nil
		}
		w := d.m.Pods[*e.Pod]
		if w == nil {
			return nil
		}
		found[types.NamespacedName{Namespace: w.Ref.Namespace, Name: workloadName(w)}] = w
	}
	if len(found) != 1 {
		return nil
	}
	for _, w := range found {
		return w
	}
	return nil
}

func (d *Directory) pod(namespace, name string) *model.Workload {
	if d.m == nil {
		return nil
	}
	return d.m.Pods[types.NamespacedName{Namespace: namespace, Name: name}]
}

// metaLabels reads Istio's LABELS node metadata (a struct of strings).
func metaLabels(meta *structpb.Struct) map[string]string {
	out := map[string]string{}
	for k, v := range meta.GetFields()["LABELS"].GetStructValue().GetFields() {
		if s := v.GetStringValue(); s != "" {
			out[k] = s
		}
	}
	return out
}

// metaStrings are the node metadata's string fields.
func metaStrings(meta *structpb.Struct) map[string]string {
	out := map[string]string{}
	for k, v := range meta.GetFields() {
		if s := v.GetStringValue(); s != "" {
			out[k] = s
		}
	}
	return out
}
