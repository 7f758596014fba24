// Package mesh is one reconcile of the whole mesh as a pure function: the
// input bundle and the connected proxies in, each proxy's resources and
// every Istio object's status out. The controllers call it and publish the
// result; it reads no cluster and keeps no state.
package mesh

import (
	"sort"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xds"
)

// Node is a connected proxy as the ADS server saw it.
type Node struct {
	ID       string
	Metadata *structpb.Struct
}

// Result is one reconcile's output.
type Result struct {
	Model *model.Model
	// Resources by node id. Proxies of one group share the same pointer,
	// so callers can convert each group once.
	Resources map[string]*xds.Resources
	// Waiting lists nodes whose pod is not known yet and whose metadata
	// does not say enough to configure them; they get config once their
	// pod appears.
	Waiting []string
	// Groups is how many distinct translations were run.
	Groups int
}

// Compute builds the model and every node's configuration, translating
// once per group of identical proxies.
func Compute(b *bundle.Bundle, nodes []Node) *Result {
	m := model.Build(b)
	res := &Result{Model: m, Resources: map[string]*xds.Resources{}}
	byGroup := map[string]*xds.Resources{}
	for _, n := range nodes {
		p, ok := ProxyFor(m, n)
		if !ok {
			res.Waiting = append(res.Waiting, n.ID)
			continue
		}
		key := xds.GroupKey(p) + "|" + generatorOf(n)
		r, done := byGroup[key]
		if !done {
			r = generate(m, p, n)
			byGroup[key] = r
			for _, pr := range r.Problems {
				m.Status.Add(pr.Object, pr.Field, "%s", pr.Reason)
			}
		}
		res.Resources[n.ID] = r
	}
	res.Groups = len(byGroup)
	sort.Strings(res.Waiting)
	return res
}

// generate picks the translation for the kind of client: proxyless gRPC
// clients announce GENERATOR=grpc, as Istio's do.
func generate(m *model.Model, p xds.Proxy, n Node) *xds.Resources {
	if generatorOf(n) == GeneratorGRPC {
		return xds.GenerateProxyless(m, p)
	}
	return xds.Generate(m, p)
}
