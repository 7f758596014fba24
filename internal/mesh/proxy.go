package mesh

import (
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// Istio's node metadata keys that sailplane reads. The xDS server's
// tracker keeps only the keys it names (xdsserver's keptMetadata) of the
// metadata a proxy announces: a key read here must be named there too.
const (
	MetaGenerator = "GENERATOR" // "grpc" for proxyless gRPC clients
	MetaNamespace = "NAMESPACE"
	MetaLabels    = "LABELS"
)

// GeneratorGRPC marks proxyless gRPC clients.
const GeneratorGRPC = "grpc"

// ProxyFor ties a node to its pod. A node whose pod is not in the cache yet
// (it connected before the informer saw the pod) waits, except on the
// plaintext port, where it is configured from its node metadata when that
// names its namespace (development set-ups without pods). A verified
// caller is configured only as a pod that runs as its identity: what it
// says about itself in node metadata never widens what it gets. The
// proxy says which generator serves it (Proxyless, CertProviders).
func ProxyFor(m *model.Model, n Node) (xds.Proxy, bool) {
	id, err := names.ParseNodeID(n.ID)
	if err != nil {
		return xds.Proxy{}, false
	}
	p := xds.Proxy{Type: id.Type, Namespace: id.Namespace, IP: id.IP}
	// Which generator serves the node is part of the proxy: a proxyless
	// gRPC node holds certificates exactly when it proved an identity.
	p.Proxyless = generatorOf(n) == GeneratorGRPC
	p.CertProviders = p.Proxyless && n.Identity != nil
	w := m.Pods[types.NamespacedName{Namespace: id.Namespace, Name: id.Pod}]
	if n.Identity != nil {
		if w == nil || !runsAs(w, *n.Identity) {
			return xds.Proxy{}, false
		}
		p.Labels, p.Workload, p.Locality = w.Labels, w, proxyLocality(m, n, w)
		return p, true
	}
	if w != nil {
		p.Labels, p.Workload, p.Locality = w.Labels, w, proxyLocality(m, n, w)
		return p, true
	}
	fields := n.Metadata.GetFields()
	if ns := fields[MetaNamespace].GetStringValue(); ns == id.Namespace {
		p.Labels = map[string]string{}
		for k, v := range fields[MetaLabels].GetStructValue().GetFields() {
			p.Labels[k] = v.GetStringValue()
		}
		p.Locality = proxyLocality(m, n, nil)
		return p, true
	}
	return xds.Proxy{}, false
}

// runsAs reports whether the pod is the identity's: its namespace and
// service account, and for a pod-bound token the very pod.
func runsAs(w *model.Workload, id identity.Identity) bool {
	return w.Ref.Namespace == id.Namespace && w.ServiceAccount == id.ServiceAccount &&
		(id.PodName == "" || w.Ref.Name == id.PodName) && (id.PodUID == "" || w.UID == id.PodUID)
}

func generatorOf(n Node) string {
	return n.Metadata.GetFields()[MetaGenerator].GetStringValue()
}

// proxyLocality is where the proxy runs, as istiod decides it: the node
// locality it announced when that names a region, else its pod's
// (istio-locality label, node topology labels, EndpointSlice zone).
//
// It is empty unless some rule makes endpoints depend on it
// (model.LocalityAware): then replicas in different zones keep sharing one
// group, as nothing they get differs.
func proxyLocality(m *model.Model, n Node, w *model.Workload) model.Locality {
	if !m.LocalityAware {
		return ""
	}
	if region, _, _ := model.SplitLocality(n.Locality); region != "" || w == nil {
		return n.Locality
	}
	return w.Locality
}
