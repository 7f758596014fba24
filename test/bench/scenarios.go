package bench

import (
	"context"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/names"
)

// outboundRoutes is the route table every sidecar gets for port 8080.
var outboundRoutes = names.OutboundRouteConfig(HTTPPort)

// vsChange shifts the weights of one canary VirtualService and renames its
// weighted route, so a proxy is seen to have the change when its route
// table holds the new name. Affected: every proxy whose route table has
// the service's virtual host.
func (r *Run) vsChange(i int) change {
	rules := r.mesh.WithRules()
	s := rules[r.rng.IntN(len(rules))]
	for w := s.Weights; w == s.Weights; {
		s.Weights = weightChoices[r.rng.IntN(len(weightChoices))]
	}
	marker := fmt.Sprintf("%s-change-%03d", s.Name, i+1)
	vhost := []byte(names.VirtualHost(s.Host(), HTTPPort))
	return change{
		typ:      typeRDS,
		affected: func(st *typeState) bool { return contains(outboundRoutes, vhost, true)(st) },
		test:     contains(outboundRoutes, []byte(marker), true),
		write: func(ctx context.Context) error {
			vs := &networkingv1.VirtualService{}
			if err := r.cluster.Client.Get(ctx, types.NamespacedName{Namespace: s.Namespace, Name: s.Name}, vs); err != nil {
				return err
			}
			vs.Spec = s.VirtualService(marker).Spec
			return r.cluster.Client.Update(ctx, vs)
		},
	}
}

// endpointChange adds an endpoint to a service (even changes) and removes
// it again (odd changes), through the service's EndpointSlice.
func (r *Run) endpointChange(i int) change {
	if i%2 == 0 {
		r.epService = r.mesh.Services[r.rng.IntN(len(r.mesh.Services))]
		r.epIP = ChurnIP(r.nextIP())
	}
	s, ip := r.epService, r.epIP
	cluster := names.OutboundCluster(HTTPPort, "", s.Host())
	c := change{typ: typeEDS, affected: func(st *typeState) bool { return st.entries[cluster] != nil }}
	if i%2 == 0 {
		c.test = contains(cluster, addressMarker(ip), true)
		c.write = func(ctx context.Context) error { return r.patchSlice(ctx, s, ip) }
	} else {
		c.test = contains(cluster, addressMarker(ip), false)
		c.write = func(ctx context.Context) error { return r.patchSlice(ctx, s) }
	}
	return c
}

// patchSlice replaces the service's endpoints: its pods plus extra
// addresses.
func (r *Run) patchSlice(ctx context.Context, s *Service, extra ...string) error {
	body, err := json.Marshal(map[string]any{"endpoints": s.Slice(extra...).Endpoints})
	if err != nil {
		return err
	}
	obj := s.Slice()
	return r.cluster.Client.Patch(ctx, obj, client.RawPatch(types.MergePatchType, body))
}

func (r *Run) nextIP() int {
	r.ips++
	return r.ips
}

// churn deletes k pods at once, takes them out of their services'
// EndpointSlices, then recreates them with new addresses and puts them
// back, as a rollout does; the recreated pods' proxies reconnect with new
// tokens (see restartProxies). A proxy has the change when every affected
// service's load assignment lists the new addresses and none of the old.
func (r *Run) churn(k int) change {
	pods := r.pickPods(k)
	old := map[*Pod]string{}
	services := map[*Service]bool{}
	for _, p := range pods {
		old[p] = p.IP
		p.IP = ChurnIP(r.nextIP())
		services[p.Service] = true
	}
	any := names.OutboundCluster(HTTPPort, "", pods[0].Service.Host())
	var checks []func(*typeState) bool
	for _, p := range pods {
		cluster := names.OutboundCluster(HTTPPort, "", p.Service.Host())
		has, hasNot := contains(cluster, addressMarker(p.IP), true), contains(cluster, addressMarker(old[p]), false)
		// Under Sidecar scoping (--scoped) a proxy holds only the services
		// it calls: it must have the change for those, and for the first
		// (which made it affected) in any case.
		must := cluster == any
		checks = append(checks, func(st *typeState) bool {
			return !must && st.entries[cluster] == nil || has(st) && hasNot(st)
		})
	}
	return change{
		typ:      typeEDS,
		affected: func(st *typeState) bool { return st.entries[any] != nil },
		test: func(st *typeState) bool {
			for _, c := range checks {
				if !c(st) {
					return false
				}
			}
			return true
		},
		write: func(ctx context.Context) error { return r.writeChurn(ctx, pods, services) },
	}
}

func (r *Run) writeChurn(ctx context.Context, pods []*Pod, services map[*Service]bool) error {
	svcs := make([]*Service, 0, len(services))
	for s := range services {
		svcs = append(svcs, s)
	}
	gone := map[*Pod]bool{}
	for _, p := range pods {
		gone[p] = true
	}
	c := r.cluster.Client
	err := forEach(ctx, len(pods)+len(svcs), writeWorkers, func(ctx context.Context, i int) error {
		if i < len(pods) {
			return deletePod(ctx, c, pods[i])
		}
		return r.patchEndpoints(ctx, svcs[i-len(pods)], gone)
	})
	if err != nil {
		return err
	}
	return forEach(ctx, len(pods)+len(svcs), writeWorkers, func(ctx context.Context, i int) error {
		if i < len(pods) {
			if err := createPod(ctx, c, pods[i]); err != nil {
				return err
			}
			return r.restartProxies(ctx, pods[i])
		}
		return r.patchSlice(ctx, svcs[i-len(pods)])
	})
}

// restartProxies starts the sidecars of a recreated pod: the old ones
// went with the old pod, and each new one connects with a token bound to
// the new pod (requested here, as the kubelet does before the pod runs)
// and the pod's new address in its node id.
func (r *Run) restartProxies(ctx context.Context, p *Pod) error {
	for _, px := range r.fleet.ProxiesOf(p) {
		token, err := boundToken(ctx, r.cluster.Kube, p)
		if err != nil {
			return err
		}
		r.fleet.Restart(r.mesh, px, token)
	}
	return nil
}

// patchEndpoints leaves the gone pods out of the service's slice.
func (r *Run) patchEndpoints(ctx context.Context, s *Service, gone map[*Pod]bool) error {
	es := s.Slice()
	kept := es.Endpoints[:0]
	for i, p := range s.Pods {
		if !gone[p] {
			kept = append(kept, es.Endpoints[i])
		}
	}
	body, err := json.Marshal(map[string]any{"endpoints": kept})
	if err != nil {
		return err
	}
	return r.cluster.Client.Patch(ctx, es, client.RawPatch(types.MergePatchType, body))
}

// pickPods picks k distinct pods, seeded.
func (r *Run) pickPods(k int) []*Pod {
	idx := r.rng.Perm(len(r.mesh.Pods))
	out := make([]*Pod, 0, k)
	for _, i := range idx[:min(k, len(idx))] {
		out = append(out, r.mesh.Pods[i])
	}
	return out
}
