package console

import (
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

// Input is everything a view is built from: values, no clients.
type Input struct {
	// Model is the latest mesh model (nil before the first reconcile).
	Model *model.Model
	// Proxies are the connected proxies with their configuration's size.
	Proxies []ProxyInput
}

// ProxyInput is one connected proxy as the ADS server knows it.
type ProxyInput struct {
	Status xdsserver.ProxyStatus
	// Resources and Bytes measure the snapshot the proxy is given (0 when
	// none is computed yet).
	Resources int
	Bytes     int
}

// View is what the page draws; its JSON is the /ui/api/view answer.
type View struct {
	Graph   Graph    `json:"graph"`
	Objects []Object `json:"objects"`
	Proxies []Proxy  `json:"proxies"`
	// Telemetry says whether request and error rates are known; they are
	// not yet (sailplane has no traffic metrics to colour edges with).
	Telemetry bool `json:"telemetry"`
}

// Build turns the input into the view. It is pure and deterministic: the
// same input gives the same view, sorted.
func Build(in Input) View {
	v := View{Graph: Graph{Nodes: []Node{}, Edges: []Edge{}, Groups: []Group{}}, Objects: []Object{}, Proxies: []Proxy{}}
	if in.Model != nil {
		v.Graph = buildGraph(in.Model)
		v.Objects = buildObjects(in.Model)
	}
	v.Proxies = buildProxies(in.Proxies)
	return v
}
