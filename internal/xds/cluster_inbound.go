package xds

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds/policy"
)

// inboundPort is a port of the proxy's own workload that a service
// exposes: traffic arriving for it goes to the app on localhost.
type inboundPort struct {
	svc    *model.Service
	port   model.Port
	target uint32
}

// inboundPorts lists, per target port, the first service (by hostname)
// that selects the workload, as Istio keys inbound chains by port.
func (g *generator) inboundPorts() []inboundPort {
	w := g.proxy.Workload
	if w == nil {
		return nil
	}
	seen := map[uint32]bool{}
	var out []inboundPort
	for _, h := range g.m.Hostnames {
		svc := g.m.Services[h]
		if svc.FromServiceEntry != nil || svc.Namespace != w.Ref.Namespace || !selects(svc.Selector, w.Labels) {
			continue
		}
		for _, p := range svc.Ports {
			target, ok := targetPortOf(w, p)
			if !ok || seen[target] || p.Protocol == model.UDP {
				continue
			}
			seen[target] = true
			out = append(out, inboundPort{svc: svc, port: p, target: target})
		}
	}
	return out
}

func targetPortOf(w *model.Workload, p model.Port) (uint32, bool) {
	if p.TargetPort.Name == "" {
		return p.TargetPort.Number, true
	}
	n, ok := w.ContainerPorts[p.TargetPort.Name]
	return n, ok
}

func (g *generator) inboundClusters(ports []inboundPort) {
	for _, ip := range ports {
		name := names.InboundCluster(ip.target, ip.svc.Hostname)
		eps := []model.Endpoint{{Address: defaults.LocalhostIP, Port: ip.target, Weight: 1, Ready: true}}
		c := &clusterv3.Cluster{
			Name:                 name,
			ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
			LoadAssignment:       loadAssignment(name, eps),
		}
		pool, opts := g.inboundPool(ip)
		for _, fe := range policy.ApplyInbound(c, pool, opts) {
			g.problem(model.ObjectRef{Kind: fe.Kind, NamespacedName: fe.Object}, fe.Field, fe.Reason)
		}
		g.addCluster(c)
	}
}

// inboundPool is the connection pool of a port's inbound cluster, as
// Istio picks it: the Sidecar's inboundConnectionPool, else the rules'
// (InboundRulePool).
func (g *generator) inboundPool(ip inboundPort) (*networkingv1.ConnectionPoolSettings, policy.Options) {
	// The app gets HTTP/2 on http2 and grpc ports, and the protocol the
	// caller spoke on detected ones.
	opts := policy.Options{HTTP2: ip.port.Protocol.IsHTTP2(), UseDownstream: g.sniffs(ip.port)}
	if sc := g.sidecar(); sc != nil && sc.InboundPool != nil {
		opts.Kind, opts.Object, opts.PoolField = "Sidecar", sc.Ref, "inboundConnectionPool"
		return sc.InboundPool, opts
	}
	dr, pool := InboundRulePool(g.m, ip.svc, ip.port.Number)
	if pool != nil {
		opts.Object = dr.Ref
		opts.Paths = policy.EffectivePaths(dr.Spec.TrafficPolicy, nil, ip.port.Number, "trafficPolicy", "")
	}
	return pool, opts
}

// InboundRulePool is the connection pool the DestinationRule that applies
// to svc gives its own workloads' inbound clusters on port, and that
// rule; nil when none sets one. It is the rule a proxy of svc's namespace
// gets for svc (a workload's inbound ports are its own namespace's
// services'), without a workloadSelector (such a rule is for clients, as
// in Istio), and the pool that applies to the port (its top level's, or
// the port's settings'; subsets are for clients).
func InboundRulePool(m *model.Model, svc *model.Service, port uint32) (*model.DestinationRule, *networkingv1.ConnectionPoolSettings) {
	dr := m.DestinationRuleFor(svc.Namespace, nil, svc)
	if dr == nil {
		return nil, nil
	}
	if tp := policy.Effective(dr.Spec.TrafficPolicy, nil, port); tp != nil && tp.ConnectionPool != nil {
		return dr, tp.ConnectionPool
	}
	return nil, nil
}
