package xds

import (
	"sort"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// inboundMode is the PeerAuthentication mode of one of the proxy's
// workload ports; port 0 asks for the workload-wide mode (ports no
// service names).
func (g *generator) inboundMode(port uint32) model.MTLSMode {
	return g.m.MTLSModeFor(g.proxy.Namespace, g.proxy.Labels, port)
}

// inboundChains are a workload port's filter chains for its mode:
//   - DISABLE: the plaintext chain alone;
//   - STRICT: the same chain, requiring mutual TLS (a plaintext peer fails
//     the handshake, never reaching the application);
//   - PERMISSIVE: mutual TLS when the TLS inspector sees TLS with a mesh
//     ALPN, plaintext when it sees no TLS, and on TCP ports the
//     application's own TLS passed through as it is.
func (g *generator) inboundChains(ip inboundPort) []*listenerv3.FilterChain {
	plain := g.inboundChain(ip)
	http := ip.port.Protocol.IsHTTP()
	switch g.inboundMode(ip.target) {
	case model.MTLSDisable:
		return []*listenerv3.FilterChain{plain}
	case model.MTLSStrict:
		plain.TransportSocket = inboundMTLSSocket(http)
		return []*listenerv3.FilterChain{plain}
	}
	mtls := proto.Clone(plain).(*listenerv3.FilterChain)
	mtls.Name = names.InboundMTLSFilterChain(ip.target)
	mtls.FilterChainMatch.TransportProtocol = names.TransportProtocolTLS
	mtls.FilterChainMatch.ApplicationProtocols = names.MTLSTCPALPNs()
	if http {
		mtls.FilterChainMatch.ApplicationProtocols = names.MTLSHTTPALPNs()
	}
	mtls.TransportSocket = inboundMTLSSocket(http)
	chains := []*listenerv3.FilterChain{mtls, plain}
	if !http {
		own := proto.Clone(plain).(*listenerv3.FilterChain)
		own.Name = names.InboundTLSFilterChain(ip.target)
		own.FilterChainMatch.TransportProtocol = names.TransportProtocolTLS
		chains = append(chains, own)
	}
	plain.FilterChainMatch.TransportProtocol = names.TransportProtocolRawBuffer
	return chains
}

// inboundPassthrough is virtualInbound's handling of ports no service
// names: the default chain, plaintext to the original destination, made
// to require mutual TLS for a STRICT workload; a PERMISSIVE workload also
// gets a chain that terminates mesh mutual TLS before passing through.
func (g *generator) inboundPassthrough() (chains []*listenerv3.FilterChain, def *listenerv3.FilterChain) {
	def = &listenerv3.FilterChain{
		Name:    names.InboundPassthroughCluster,
		Filters: []*listenerv3.Filter{tcpProxy(names.InboundPassthroughCluster, names.InboundPassthroughCluster)},
	}
	switch g.inboundMode(0) {
	case model.MTLSStrict:
		def.TransportSocket = inboundMTLSSocket(false)
	case model.MTLSPermissive:
		chains = append(chains, &listenerv3.FilterChain{
			Name: names.InboundPassthroughMTLSFilterChain,
			FilterChainMatch: &listenerv3.FilterChainMatch{
				TransportProtocol:    names.TransportProtocolTLS,
				ApplicationProtocols: allMTLSALPNs(),
			},
			Filters:         []*listenerv3.Filter{tcpProxy(names.InboundPassthroughCluster, names.InboundPassthroughCluster)},
			TransportSocket: inboundMTLSSocket(false),
		})
	}
	return chains, def
}

func allMTLSALPNs() []string {
	set := map[string]bool{}
	for _, a := range append(names.MTLSHTTPALPNs(), names.MTLSTCPALPNs()...) {
		set[a] = true
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// inboundListenerFilters are virtualInbound's listener filters: the
// original destination, and the TLS inspector when a chain matches on
// what it detects. The inspector is turned off on the ports whose chains
// do not (STRICT and DISABLE ports), so server-first protocols there never
// wait for it; a connection it cannot classify in time goes on as
// plaintext (continue_on_listener_filters_timeout).
func (g *generator) inboundListenerFilters(ports []inboundPort) ([]*listenerv3.ListenerFilter, bool) {
	filters := []*listenerv3.ListenerFilter{{
		Name:       names.OriginalDstListenerFilter,
		ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: mustAny(originalDstFilter())},
	}}
	workloadPermissive := g.inboundMode(0) == model.MTLSPermissive
	// The ports whose handling differs from the workload-wide need.
	var differ []uint32
	anyPermissive := workloadPermissive
	for _, ip := range ports {
		permissive := g.inboundMode(ip.target) == model.MTLSPermissive
		anyPermissive = anyPermissive || permissive
		if permissive != workloadPermissive {
			differ = append(differ, ip.target)
		}
	}
	if !anyPermissive {
		return filters, false
	}
	inspector := &listenerv3.ListenerFilter{
		Name:       names.TLSInspectorListenerFilter,
		ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: mustAny(&tlsinspectorv3.TlsInspector{})},
	}
	if len(differ) > 0 {
		ports := portsPredicate(differ)
		if !workloadPermissive {
			// Off everywhere but on the PERMISSIVE ports.
			ports = &listenerv3.ListenerFilterChainMatchPredicate{Rule: &listenerv3.ListenerFilterChainMatchPredicate_NotMatch{NotMatch: ports}}
		}
		inspector.FilterDisabled = ports
	}
	return append(filters, inspector), true
}

// portsPredicate matches connections to any of the destination ports.
func portsPredicate(ports []uint32) *listenerv3.ListenerFilterChainMatchPredicate {
	sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
	rules := make([]*listenerv3.ListenerFilterChainMatchPredicate, 0, len(ports))
	for _, p := range ports {
		rules = append(rules, &listenerv3.ListenerFilterChainMatchPredicate{Rule: &listenerv3.ListenerFilterChainMatchPredicate_DestinationPortRange{
			DestinationPortRange: &typev3.Int32Range{Start: int32(p), End: int32(p) + 1},
		}})
	}
	if len(rules) == 1 {
		return rules[0]
	}
	return &listenerv3.ListenerFilterChainMatchPredicate{Rule: &listenerv3.ListenerFilterChainMatchPredicate_OrMatch{
		OrMatch: &listenerv3.ListenerFilterChainMatchPredicate_MatchSet{Rules: rules},
	}}
}

// inboundMTLSSocket terminates Istio's mutual TLS: the workload's own
// certificate (SDS "default"), peers verified against the mesh trust
// bundle (SDS "ROOTCA") and required to present a certificate with a
// SPIFFE identity of the mesh's trust domain.
func inboundMTLSSocket(http bool) *corev3.TransportSocket {
	return &corev3.TransportSocket{
		Name:       names.TLSTransportSocket,
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(IstioMutualDownstream(http))},
	}
}

// IstioMutualDownstream is the server side of Istio's mutual TLS; http
// negotiates h2 or http/1.1 by ALPN, as Istio's inbound HTTP chains do.
func IstioMutualDownstream(http bool) *tlsv3.DownstreamTlsContext {
	cc := &tlsv3.CommonTlsContext{
		TlsParams: &tlsv3.TlsParameters{TlsMinimumProtocolVersion: tlsv3.TlsParameters_TLSv1_2},
		TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{{
			Name: names.WorkloadCertSecret, SdsConfig: adsSource(),
		}},
		ValidationContextType: &tlsv3.CommonTlsContext_CombinedValidationContext{
			CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
				DefaultValidationContext: &tlsv3.CertificateValidationContext{
					MatchTypedSubjectAltNames: []*tlsv3.SubjectAltNameMatcher{{
						SanType: tlsv3.SubjectAltNameMatcher_URI,
						Matcher: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: "spiffe://" + defaults.TrustDomain + "/"}},
					}},
				},
				ValidationContextSdsSecretConfig: &tlsv3.SdsSecretConfig{Name: names.RootCASecret, SdsConfig: adsSource()},
			},
		},
	}
	if http {
		cc.AlpnProtocols = names.InboundHTTPALPNs()
	}
	return &tlsv3.DownstreamTlsContext{CommonTlsContext: cc, RequireClientCertificate: wrapperspb.Bool(true)}
}
