package xds

import (
	"net/netip"
	"sort"
	"strconv"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// GenerateProxylessInbound builds the Listeners an xDS-enabled gRPC
// server in the proxy's pod asks for (gRFC A36), one per port a service
// targets and per address the server may listen on: the pod's IP,
// 0.0.0.0 and [::], named as the server's
// server_listener_resource_name_template asks
// (names.GRPCServerListener). Each carries the filter chains of the
// port's PeerAuthentication mode (grpcServerChains). It depends on the
// pod (its address), so it is translated per pod, not per group.
func GenerateProxylessInbound(m *model.Model, p Proxy) *Resources {
	g := &generator{m: m, proxy: p, out: &Resources{}, proxyless: true}
	for _, ip := range g.inboundPorts() {
		g.grpcServerListeners(ip)
	}
	g.proxylessRateLimit()
	// Telemetry selects workloads by any label, so its report belongs to
	// this per-pod part, not to the outbound half shared by source labels.
	g.reportProxylessTelemetry()
	g.validate()
	g.out.sort()
	return g.out
}

func (g *generator) grpcServerListeners(ip inboundPort) {
	chains := g.grpcServerChains(ip)
	if len(chains) == 0 {
		return
	}
	for _, addr := range []string{g.proxy.Workload.IP, "0.0.0.0", "::"} {
		if addr == "" {
			continue
		}
		g.out.Listeners = append(g.out.Listeners, &listenerv3.Listener{
			Name:         names.GRPCServerListener(addr, ip.target),
			Address:      socketAddress(addr, ip.target),
			FilterChains: chains,
		})
	}
}

// grpcServerChains are a port's filter chains for its mode. gRPC matches
// a connection to a chain by addresses and ports only: it cannot look at
// the first bytes for TLS, as Envoy's TLS inspector does. So:
//   - STRICT: one chain requiring mutual TLS (a client certificate of
//     the mesh roots), for every source;
//   - DISABLE: one plaintext chain;
//   - PERMISSIVE: the plaintext chain for every source, and the mutual
//     TLS chain for the addresses of the pods that run a mesh proxy
//     (their clients originate mutual TLS to a meshed server; the most
//     specific source prefix wins), so unmeshed clients keep working
//     while meshed ones are authenticated.
//
// A server without certificates (it did not prove an identity on the
// authenticated port) takes plaintext only; its STRICT ports get no
// listener at all, and gRPC does not serve a port whose listener does not
// exist.
func (g *generator) grpcServerChains(ip inboundPort) []*listenerv3.FilterChain {
	mode := g.inboundMode(ip.target)
	plain := g.grpcServerChain(ip, names.GRPCInboundPlaintextChain, nil)
	switch {
	case mode == model.MTLSDisable:
		return []*listenerv3.FilterChain{plain}
	case !g.proxy.CertProviders && mode == model.MTLSStrict:
		return nil
	case !g.proxy.CertProviders:
		return []*listenerv3.FilterChain{plain}
	}
	mtls := g.grpcServerChain(ip, names.GRPCInboundMTLSChain, grpcDownstreamSocket())
	if mode == model.MTLSStrict {
		return []*listenerv3.FilterChain{mtls}
	}
	sources := g.meshedSources()
	if len(sources) == 0 {
		return []*listenerv3.FilterChain{plain}
	}
	mtls.FilterChainMatch = &listenerv3.FilterChainMatch{SourcePrefixRanges: sources}
	return []*listenerv3.FilterChain{mtls, plain}
}

// grpcServerChain terminates HTTP/2 for gRPC: the route configuration is
// inline (a server asks for no RDS) and its one route matches every call
// with non_forwarding_action, which is what gRPC requires of a server's
// routes; the HTTP filters come from grpcServerHTTPFilters.
func (g *generator) grpcServerChain(ip inboundPort, name string, ts *corev3.TransportSocket) *listenerv3.FilterChain {
	rc := &routev3.RouteConfiguration{
		Name: names.GRPCInboundRouteConfig,
		VirtualHosts: []*routev3.VirtualHost{{
			Name:    names.GRPCInboundRouteConfig,
			Domains: []string{"*"},
			Routes: []*routev3.Route{{
				Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_NonForwardingAction{NonForwardingAction: &routev3.NonForwardingAction{}},
			}},
		}},
	}
	return &listenerv3.FilterChain{
		Name: name,
		Filters: []*listenerv3.Filter{hcmFilter(&hcmv3.HttpConnectionManager{
			StatPrefix:     names.InboundStatPrefix + "_" + strconv.FormatUint(uint64(ip.target), 10),
			RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: rc},
			HttpFilters:    g.grpcServerHTTPFilters(ip),
		})},
		TransportSocket: ts,
	}
}

// grpcServerHTTPFilters is the HTTP filter list of every chain of a gRPC
// server's listener, built here only: the AuthorizationPolicies of the
// workload's port as gRPC applies them (gRFC A41; what it cannot apply is
// reported), in front of the router, which gRPC requires last.
func (g *generator) grpcServerHTTPFilters(ip inboundPort) []*hcmv3.HttpFilter {
	rbac, problems := AuthzHTTPFilters(g.m, AuthzTarget{Namespace: g.proxy.Namespace, Labels: g.proxy.Labels, Port: ip.target}, true)
	g.out.Problems = append(g.out.Problems, problems...)
	return append(rbac, httpFilter(names.RouterFilter, &routerv3.Router{}))
}

// grpcDownstreamSocket is the server side of mutual TLS for gRPC: the
// workload's certificate and the mesh roots from the certificate provider
// instance, a client certificate required. gRPC refuses SAN matchers on
// servers, so any certificate the mesh roots signed is accepted: the mesh
// CA issues only SPIFFE identities of its trust domain.
func grpcDownstreamSocket() *corev3.TransportSocket {
	ctx := &tlsv3.DownstreamTlsContext{CommonTlsContext: grpcCommonTLS(nil), RequireClientCertificate: wrapperspb.Bool(true)}
	return &corev3.TransportSocket{Name: names.TLSTransportSocket, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(ctx)}}
}

// meshedSources are the addresses of the pods that run a mesh proxy, one
// host prefix each, sorted.
func (g *generator) meshedSources() []*corev3.CidrRange {
	var addrs []netip.Addr
	for _, w := range g.m.Pods {
		if !w.Sidecar {
			continue
		}
		if a, err := netip.ParseAddr(w.IP); err == nil {
			addrs = append(addrs, a.Unmap())
		}
	}
	sort.Slice(addrs, func(i, j int) bool { return addrs[i].Less(addrs[j]) })
	out := make([]*corev3.CidrRange, 0, len(addrs))
	for i, a := range addrs {
		if i > 0 && a == addrs[i-1] {
			continue
		}
		out = append(out, &corev3.CidrRange{AddressPrefix: a.String(), PrefixLen: wrapperspb.UInt32(uint32(a.BitLen()))})
	}
	return out
}
