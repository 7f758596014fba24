package xds

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"google.golang.org/protobuf/types/known/durationpb"

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
			ConnectTimeout:       durationpb.New(defaults.ConnectTimeout),
			ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
			LoadAssignment:       loadAssignment(name, eps),
		}
		if g.sniffs(ip.port) {
			// The app gets the protocol the caller spoke.
			if err := policy.UseDownstreamProtocol(c); err != nil {
				g.problem(generatorRef, "", "cluster "+name+": "+err.Error())
			}
		}
		g.addCluster(c)
	}
}
