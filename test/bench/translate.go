package bench

import (
	"context"
	"runtime"
	"sort"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sailplane/sailplane/controllers"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

// Translation is the cost of stages [2] to [4] on the bundle the control
// plane reads, measured directly, without the API server or the proxies.
type Translation struct {
	// ModelBuild is the median of five model.Build runs.
	ModelBuild time.Duration
	// Groups are the distinct proxy groups among the simulated proxies,
	// and OutboundKeys the distinct outbound halves they need (namespace
	// and the labels rules select sources by).
	Groups, OutboundKeys int
	// Compute is mesh.Compute for every proxy (median of three): the
	// translation one full reconcile runs. Snapshots is converting every
	// group's result with one xdsserver.Builder, as publish does.
	Compute, Snapshots time.Duration
	// PerGroup is (Compute + Snapshots) / Groups.
	PerGroup time.Duration
	// Generate is xds.Generate of one whole group on its own (p50 over
	// sampled groups): what a group would cost without sharing.
	Generate Summary
	// Retained is the live heap one reconcile's result and snapshots hold.
	Retained uint64
	// Resources of one group: clusters, load assignments, listeners,
	// route configurations.
	Resources [numTypes]int
}

// MeasureTranslation times the translation on the objects in the API
// server, for the first `proxies` proxies.
func MeasureTranslation(ctx context.Context, c client.Client, m *Mesh, proxies, sample int) (Translation, error) {
	var t Translation
	b, err := listBundle(ctx, c)
	if err != nil {
		return t, err
	}
	var builds []time.Duration
	var mod *model.Model
	for range 5 {
		start := time.Now()
		mod = model.Build(b)
		builds = append(builds, time.Since(start))
	}
	t.ModelBuild = median(builds)
	nodes := meshNodes(m, proxies)
	groups := proxyGroups(mod, nodes)
	t.Groups = len(groups)
	outbound := map[string]bool{}
	for _, p := range groups {
		outbound[xds.OutboundKey(mod, p)] = true
	}
	t.OutboundKeys = len(outbound)
	if err := t.timeCompute(b, nodes); err != nil {
		return t, err
	}
	var gen []time.Duration
	for _, p := range pickGroups(groups, sample) {
		start := time.Now()
		res := xds.Generate(mod, p)
		gen = append(gen, time.Since(start))
		t.Resources = [numTypes]int{len(res.Clusters), len(res.Endpoints), len(res.Listeners), len(res.Routes)}
	}
	t.Generate = summarize(gen)
	return t, nil
}

// timeCompute runs what a full reconcile runs, minus the API reads and
// the pushes: mesh.Compute, then one snapshot per group.
func (t *Translation) timeCompute(b *bundle.Bundle, nodes []mesh.Node) error {
	var computes []time.Duration
	var res *mesh.Result
	before := liveHeap()
	for range 3 {
		res = nil
		start := time.Now()
		res = mesh.Compute(b, nodes)
		computes = append(computes, time.Since(start))
	}
	t.Compute = median(computes)
	start := time.Now()
	builder := xdsserver.NewBuilder()
	snaps := map[*xds.Resources]any{}
	for _, rs := range res.Resources {
		if _, done := snaps[rs]; done {
			continue
		}
		s, err := builder.Snapshot(rs)
		if err != nil {
			return err
		}
		snaps[rs] = s
	}
	t.Snapshots = time.Since(start)
	if res.Groups > 0 {
		t.PerGroup = (t.Compute + t.Snapshots) / time.Duration(res.Groups)
	}
	t.Retained = liveHeap() - min(before, liveHeap())
	runtime.KeepAlive(snaps)
	runtime.KeepAlive(res)
	return nil
}

func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// meshNodes are the first n proxies as the ADS server sees them.
func meshNodes(m *Mesh, n int) []mesh.Node {
	out := make([]mesh.Node, 0, n)
	for i := 0; i < n; i++ {
		_, node := proxyNode(m, i)
		out = append(out, mesh.Node{ID: node.Id, Metadata: node.Metadata})
	}
	return out
}

// proxyGroups finds the proxies' groups the way mesh.Compute does.
func proxyGroups(mod *model.Model, nodes []mesh.Node) map[string]xds.Proxy {
	out := map[string]xds.Proxy{}
	for _, n := range nodes {
		if p, ok := mesh.ProxyFor(mod, n); ok {
			out[xds.GroupKey(p)] = p
		}
	}
	return out
}

// pickGroups takes up to n groups spread evenly over the sorted keys, so
// the sample covers namespaces and kinds of workloads alike.
func pickGroups(groups map[string]xds.Proxy, n int) []xds.Proxy {
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []xds.Proxy
	for i := 0; i < min(n, len(keys)); i++ {
		out = append(out, groups[keys[i*len(keys)/min(n, len(keys))]])
	}
	return out
}

// listBundle reads what the controllers collect, from the API server.
func listBundle(ctx context.Context, c client.Client) (*bundle.Bundle, error) {
	return controllers.Collect(ctx, c)
}
