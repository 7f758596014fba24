package mesh

import (
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// Istio's node metadata keys that sailplane reads.
const (
	MetaGenerator = "GENERATOR" // "grpc" for proxyless gRPC clients
	MetaNamespace = "NAMESPACE"
	MetaLabels    = "LABELS"
)

// GeneratorGRPC marks proxyless gRPC clients.
const GeneratorGRPC = "grpc"

// ProxyFor ties a node to its pod. A node whose pod is not in the cache yet
// (it connected before the informer saw the pod) is configured from its
// node metadata when that names its namespace; otherwise it waits.
func ProxyFor(m *model.Model, n Node) (xds.Proxy, bool) {
	id, err := names.ParseNodeID(n.ID)
	if err != nil {
		return xds.Proxy{}, false
	}
	p := xds.Proxy{Type: id.Type, Namespace: id.Namespace, IP: id.IP}
	if w := m.Pods[types.NamespacedName{Namespace: id.Namespace, Name: id.Pod}]; w != nil {
		p.Labels, p.Workload = w.Labels, w
		return p, true
	}
	fields := n.Metadata.GetFields()
	if ns := fields[MetaNamespace].GetStringValue(); ns == id.Namespace {
		p.Labels = map[string]string{}
		for k, v := range fields[MetaLabels].GetStructValue().GetFields() {
			p.Labels[k] = v.GetStringValue()
		}
		return p, true
	}
	return xds.Proxy{}, false
}

func generatorOf(n Node) string {
	return n.Metadata.GetFields()[MetaGenerator].GetStringValue()
}
