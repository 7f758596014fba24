package xds

import (
	"errors"
	"fmt"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// clusterFor resolves a destination named by a VirtualService in
// namespace ns to the outbound cluster this proxy has for it. listenerPort is the port the route
// serves; it picks the service port when the destination names none and
// the service has several.
//
// A host the proxy cannot see (not in the registry, or not exported to it)
// still gets a cluster name, with the error: Istio's name for it
// (`outbound|<port>|<subset>|<host>`, the port being the destination's,
// else the listener's, as in Istio's GetDestinationCluster when there is
// no service), and the generator adds that cluster without endpoints, so
// its requests fail with 503 and no other route takes them.
func (g *generator) clusterFor(ns string, d networkingv1.Destination, listenerPort uint32) (string, error) {
	name, noEndpoints, err := g.resolveCluster(ns, d, listenerPort)
	if noEndpoints {
		g.noEndpointClusters()[name] = true
	}
	return name, err
}

// resolveCluster is clusterFor without its effect: the cluster name,
// whether the generator must add it without endpoints, and the error.
func (g *generator) resolveCluster(ns string, d networkingv1.Destination, listenerPort uint32) (string, bool, error) {
	svc, err := g.m.CheckDestination(ns, g.proxy.Namespace, g.proxy.Labels, d)
	var unknown *model.UnknownHostError
	if errors.As(err, &unknown) {
		port := listenerPort
		if d.Port != nil && d.Port.Number != 0 {
			port = uint32(d.Port.Number)
		}
		return names.OutboundCluster(port, d.Subset, unknown.Host), true, err
	}
	if err != nil {
		return "", false, err
	}
	port, err := destinationPort(svc, d, listenerPort)
	if err != nil {
		return "", false, err
	}
	// Outside the proxy's Sidecar scope (a delegate's destination: the
	// scope holds those of the VirtualServices it selects): no endpoints,
	// as for a host it cannot see. Not the rule's fault, so not reported
	// against it.
	return names.OutboundCluster(port, d.Subset, svc.Hostname), !g.serviceInScope(svc), nil
}

func destinationPort(svc *model.Service, d networkingv1.Destination, listenerPort uint32) (uint32, error) {
	if d.Port != nil && d.Port.Number != 0 {
		n := uint32(d.Port.Number)
		if svc.Port(n) == nil {
			return 0, fmt.Errorf("port %d not found on host %q", n, svc.Hostname)
		}
		return n, nil
	}
	switch {
	case len(svc.Ports) == 1:
		return svc.Ports[0].Number, nil
	case svc.Port(listenerPort) != nil:
		return listenerPort, nil
	case len(svc.Ports) == 0:
		return 0, fmt.Errorf("host %q has no ports", svc.Hostname)
	}
	return 0, fmt.Errorf("host %q has %d ports; destination.port is required", svc.Hostname, len(svc.Ports))
}

// sidecarVirtualServices returns the VirtualServices that apply to host
// for this proxy. For sidecars Istio uses only the oldest VirtualService
// naming a host exactly (a later one conflicts); gateways merge them all.
func (g *generator) sidecarVirtualServices(host string) []*model.VirtualService {
	all := g.inScopeVirtualServices(g.m.VirtualServicesFor(host, g.proxy.Namespace, g.gateways))
	if len(all) <= 1 || g.proxy.Type != names.Sidecar {
		return all
	}
	first := all[0]
	for _, vs := range all[1:] {
		if hasHost(vs, host) {
			g.problem(model.ObjectRef{Kind: "VirtualService", NamespacedName: vs.Ref}, "hosts",
				fmt.Sprintf("host %q is also bound by VirtualService %s, which is older; sidecars use only that one", host, first.Ref))
		}
	}
	return all[:1]
}

func hasHost(vs *model.VirtualService, host string) bool {
	for _, h := range vs.Hosts {
		if h == host {
			return true
		}
	}
	return false
}
