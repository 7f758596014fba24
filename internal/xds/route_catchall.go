package xds

import (
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
)

// catchAllVirtualHost is the last virtual host of an outbound route
// configuration, for every authority no service claims: Istio's allow_any
// (to PassthroughCluster) under ALLOW_ANY, block_all (502) under
// REGISTRY_ONLY.
func (g *generator) catchAllVirtualHost() *routev3.VirtualHost {
	match := &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}}
	if g.registryOnly() {
		return &routev3.VirtualHost{
			Name:    names.BlockAllVirtualHost,
			Domains: []string{"*"},
			Routes: []*routev3.Route{{
				Name:   names.BlockAllVirtualHost,
				Match:  match,
				Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: defaults.RegistryOnlyHTTPStatus}},
			}},
		}
	}
	return &routev3.VirtualHost{
		Name:    names.AllowAnyVirtualHost,
		Domains: []string{"*"},
		Routes: []*routev3.Route{{
			Name:  names.AllowAnyVirtualHost,
			Match: match,
			Action: &routev3.Route_Route{Route: &routev3.RouteAction{
				ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: names.PassthroughCluster},
			}},
		}},
	}
}
