package xds

import (
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	rbacnetv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"

	"github.com/sailplane/sailplane/internal/names"
)

// authorize puts the proxy's AuthorizationPolicies into its listeners:
// every HTTP connection manager gets the RBAC HTTP filters first, every
// tcp_proxy the network RBAC filter before it, each for the port its
// filter chain serves. Sidecars pass their inbound listener, gateways
// their servers' listeners; nothing changes when no policy applies.
func (g *generator) authorize(listeners []*listenerv3.Listener) {
	if len(g.m.AuthorizationPoliciesFor(g.proxy.Namespace, g.proxy.Labels)) == 0 {
		return
	}
	for _, l := range listeners {
		for _, fc := range chainsOf(l) {
			port := fc.GetFilterChainMatch().GetDestinationPort().GetValue()
			if port == 0 {
				port = l.GetAddress().GetSocketAddress().GetPortValue()
				if l.GetName() == names.VirtualInbound {
					port = 0
				}
			}
			g.authorizeChain(fc, AuthzTarget{Namespace: g.proxy.Namespace, Labels: g.proxy.Labels, Port: port})
		}
	}
}

func (g *generator) authorizeChain(fc *listenerv3.FilterChain, t AuthzTarget) {
	var out []*listenerv3.Filter
	for _, f := range fc.Filters {
		switch f.Name {
		case names.HTTPConnectionManagerFilter:
			f = g.authorizeHCM(f, t)
		case names.TCPProxyFilter:
			out = append(out, g.networkRBAC(t)...)
		}
		out = append(out, f)
	}
	fc.Filters = out
}

// authorizeHCM returns the filter with the RBAC HTTP filters put first.
func (g *generator) authorizeHCM(f *listenerv3.Filter, t AuthzTarget) *listenerv3.Filter {
	hcm := &hcmv3.HttpConnectionManager{}
	if err := f.GetTypedConfig().UnmarshalTo(hcm); err != nil {
		return f // only our own configs reach here
	}
	filters, problems := AuthzHTTPFilters(g.m, t, false)
	g.out.Problems = append(g.out.Problems, problems...)
	hcm.HttpFilters = withAuthzFilters(hcm.HttpFilters, filters)
	return hcmFilter(hcm)
}

// withAuthzFilters puts the RBAC filters before the connection manager's
// others, after jwt_authn (whose verified claims they read).
func withAuthzFilters(existing, rbac []*hcmv3.HttpFilter) []*hcmv3.HttpFilter {
	at := 0
	for i, f := range existing {
		if f.GetName() == names.JWTAuthnFilter {
			at = i + 1
		}
	}
	out := append([]*hcmv3.HttpFilter(nil), existing[:at]...)
	out = append(out, rbac...)
	return append(out, existing[at:]...)
}

// networkRBAC are the network RBAC filters of a TCP chain. What they
// leave out is reported for the workload's TCP ports, not for the
// passthrough chains of ports no service names: every sidecar has those,
// and every policy with an HTTP field would be reported for them (they
// get the same fail-closed treatment).
func (g *generator) networkRBAC(t AuthzTarget) []*listenerv3.Filter {
	rules, problems := authzRules(g.m, t, rbacTCP)
	if t.Port != 0 {
		g.out.Problems = append(g.out.Problems, problems...)
	}
	var out []*listenerv3.Filter
	for _, r := range rules {
		out = append(out, &listenerv3.Filter{
			Name:       names.AuthzNetworkFilter(actionName(r)),
			ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(&rbacnetv3.RBAC{Rules: r, StatPrefix: names.RBACStatPrefix})},
		})
	}
	return out
}
