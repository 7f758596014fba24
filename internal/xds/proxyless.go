package xds

import (
	"fmt"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// GenerateProxyless builds the configuration of a proxyless gRPC client:
// for every visible service port an api_listener named as the client dials
// it ("reviews:9080", "reviews.default.svc.cluster.local:9080", ...), a
// route configuration "<fqdn>:<port>", and the EDS clusters and endpoints
// behind it. gRPC's xDS client consumes the same routes and clusters as
// Envoy, but only part of them; what it cannot use is left out and the
// rule that asked for it gets a status problem, so nothing is dropped
// silently and the client never receives config it would NACK.
//
// It is the proxyless node's outbound half: it reads of p only what
// OutboundOf keeps (p is taken as proxyless, whatever its Proxyless says).
func GenerateProxyless(m *model.Model, p Proxy) *Resources {
	p.Proxyless = true
	return proxylessOutbound(m, OutboundOf(m, p))
}

func proxylessOutbound(m *model.Model, k OutboundInput) *Resources {
	g := outboundGenerator(m, k)
	g.outboundClusters()
	left := g.grpcClusters()
	g.reportLoadToSelf()
	for _, svc := range g.visibleServices() {
		for _, port := range svc.Ports {
			if port.Protocol == model.UDP {
				continue
			}
			g.proxylessService(svc, port.Number, left)
		}
	}
	g.unresolvedClusters()
	g.reportProxylessLimits()
	g.reportProxylessJWT()
	g.validate()
	g.out.sort()
	return g.out
}

func (g *generator) proxylessService(svc *model.Service, port uint32, left map[string]bool) {
	rcName := names.VirtualHost(svc.Hostname, port)
	own, _ := g.serviceRoutes(svc, port) // never shared: proxyless routes are its own (grpcRoutes edits them)
	routes := withoutClusters(grpcRoutes(own), left)
	rc := &routev3.RouteConfiguration{
		Name: rcName,
		// One service per route configuration, so every name the client
		// may have dialled can match.
		VirtualHosts: []*routev3.VirtualHost{{Name: rcName, Domains: []string{"*"}, Routes: routes}},
	}
	g.out.Routes = append(g.out.Routes, rc)
	hcm := &hcmv3.HttpConnectionManager{
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{RouteConfigName: rcName, ConfigSource: adsSource()}},
		HttpFilters:    grpcHTTPFilters(),
	}
	for _, name := range dialNames(svc, g.proxy.Namespace, port) {
		g.out.Listeners = append(g.out.Listeners, &listenerv3.Listener{
			Name:        name,
			ApiListener: &listenerv3.ApiListener{ApiListener: mustAny(hcm)},
		})
	}
}

// dialNames are the targets a client in clientNS may dial the service by.
func dialNames(svc *model.Service, clientNS string, port uint32) []string {
	var out []string
	for _, n := range model.ShortNames(svc, clientNS) {
		out = append(out, fmt.Sprintf("%s:%d", n, port))
	}
	return out
}

// grpcHTTPFilters are the fault and router filters, always, as istiod
// lists them: the filter chain then never depends on the routes, so
// adding or removing a fault changes RDS only and a route with a fault can
// never arrive before its filter. gRPC has no CORS filter.
func grpcHTTPFilters() []*hcmv3.HttpFilter {
	return []*hcmv3.HttpFilter{
		httpFilter(names.FaultFilter, &faultv3.HTTPFault{}),
		httpFilter(names.RouterFilter, &routerv3.Router{}),
	}
}

// grpcRoutes adapts routes for gRPC: it drops per-route CORS and mirrors
// (gRPC has neither; reportProxylessLimits says so), and carries the route
// timeout as max_stream_duration, which is what gRPC reads.
func grpcRoutes(in []*routev3.Route) []*routev3.Route {
	for _, r := range in {
		delete(r.TypedPerFilterConfig, names.CORSFilter)
		a := r.GetRoute()
		if a == nil {
			continue
		}
		a.RequestMirrorPolicies = nil
		if a.MaxStreamDuration == nil {
			a.MaxStreamDuration = &routev3.RouteAction_MaxStreamDuration{}
		}
		if t := a.GetTimeout(); t != nil {
			a.MaxStreamDuration.MaxStreamDuration = durationpb.New(t.AsDuration())
		}
	}
	return in
}
