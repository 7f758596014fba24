package xds

import (
	"slices"
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
//
// A sniffed (Auto) port has each of these as an HTTP and a TCP chain
// (sniffedInboundChains).
func (g *generator) inboundChains(ip inboundPort) []*listenerv3.FilterChain {
	if g.sniffs(ip.port) {
		return g.sniffedInboundChains(ip)
	}
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

// sniffedInboundChains are Istio's chains of a workload port whose
// protocol is detected, HTTP through an HTTP connection manager and
// anything else by tcp_proxy, to the same cluster:
//   - plaintext (DISABLE, PERMISSIVE), both named 0.0.0.0_<port>: raw_buffer
//     with ALPN http/1.1 or h2c as the HTTP inspector reports them, else
//     raw_buffer as TCP;
//   - mutual TLS (STRICT, PERMISSIVE), both named 0.0.0.0_<port>_mtls: TLS
//     with Istio's HTTP ALPNs (istio-http/1.0, istio-http/1.1, istio-h2) as
//     HTTP, else as TCP (PERMISSIVE: ALPN istio-peer-exchange or istio;
//     STRICT: any TLS). A sailplane client, which offers only "istio"
//     (upstream Envoy cannot set the ALPN per downstream protocol), lands
//     on the TCP chain: its traffic is forwarded, not routed as HTTP;
//   - PERMISSIVE also passes an application's own TLS (no mesh ALPN)
//     through as TCP, chain 0.0.0.0_<port>_tls.
//
// The ALPN sets of two chains with the same transport never overlap, as
// Envoy refuses a listener with two chains matching the same connection.
func (g *generator) sniffedInboundChains(ip inboundPort) []*listenerv3.FilterChain {
	mode := g.inboundMode(ip.target)
	httpPlain := g.inboundHTTPChain(ip)
	httpPlain.FilterChainMatch.TransportProtocol = names.TransportProtocolRawBuffer
	httpPlain.FilterChainMatch.ApplicationProtocols = append([]string(nil), defaults.SniffedHTTPProtocols...)
	tcpPlain := g.inboundTCPChain(ip)
	tcpPlain.FilterChainMatch.TransportProtocol = names.TransportProtocolRawBuffer
	if mode == model.MTLSDisable {
		return []*listenerv3.FilterChain{httpPlain, tcpPlain}
	}
	httpMTLS := g.inboundHTTPChain(ip)
	httpMTLS.Name = names.InboundMTLSFilterChain(ip.target)
	httpMTLS.FilterChainMatch.TransportProtocol = names.TransportProtocolTLS
	httpMTLS.FilterChainMatch.ApplicationProtocols = names.MTLSSniffedHTTPALPNs()
	httpMTLS.TransportSocket = inboundMTLSSocket(true)
	tcpMTLS := g.inboundTCPChain(ip)
	tcpMTLS.Name = names.InboundMTLSFilterChain(ip.target)
	tcpMTLS.FilterChainMatch.TransportProtocol = names.TransportProtocolTLS
	tcpMTLS.TransportSocket = inboundMTLSSocket(false)
	if mode == model.MTLSStrict {
		return []*listenerv3.FilterChain{httpMTLS, tcpMTLS}
	}
	tcpMTLS.FilterChainMatch.ApplicationProtocols = names.MTLSTCPALPNs()
	own := g.inboundTCPChain(ip)
	own.Name = names.InboundTLSFilterChain(ip.target)
	own.FilterChainMatch.TransportProtocol = names.TransportProtocolTLS
	return []*listenerv3.FilterChain{httpMTLS, httpPlain, tcpMTLS, tcpPlain, own}
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
// original destination; the TLS inspector when a chain matches on what it
// detects (PERMISSIVE ports, and STRICT sniffed ports, whose chains tell
// HTTP from TCP by ALPN), turned off on the other ports so server-first
// protocols there never wait for it; and the HTTP inspector on the sniffed
// ports with plaintext chains (not STRICT ones), after the TLS inspector
// (it skips connections found to be TLS). inspects says whether any
// inspector runs (a connection one cannot classify in time goes on as
// plaintext: continue_on_listener_filters_timeout), sniffs whether the
// HTTP inspector does.
func (g *generator) inboundListenerFilters(ports []inboundPort) (filters []*listenerv3.ListenerFilter, inspects, sniffs bool) {
	filters = []*listenerv3.ListenerFilter{{
		Name:       names.OriginalDstListenerFilter,
		ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: mustAny(originalDstFilter())},
	}}
	workloadTLS := g.inboundMode(0) == model.MTLSPermissive
	// The ports whose TLS inspection differs from the workload-wide need.
	var differ, sniffed []uint32
	anyTLS := workloadTLS
	for _, ip := range ports {
		mode := g.inboundMode(ip.target)
		sniff := g.sniffs(ip.port)
		tls := mode == model.MTLSPermissive || (sniff && mode == model.MTLSStrict)
		anyTLS = anyTLS || tls
		if tls != workloadTLS {
			differ = append(differ, ip.target)
		}
		if sniff && mode != model.MTLSStrict {
			sniffed = append(sniffed, ip.target)
		}
	}
	if anyTLS {
		inspector := &listenerv3.ListenerFilter{
			Name:       names.TLSInspectorListenerFilter,
			ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: mustAny(&tlsinspectorv3.TlsInspector{})},
		}
		if len(differ) > 0 {
			if workloadTLS {
				inspector.FilterDisabled = portsPredicate(differ)
			} else {
				// Off everywhere but on these ports.
				inspector.FilterDisabled = exceptPorts(differ)
			}
		}
		filters = append(filters, inspector)
	}
	if len(sniffed) > 0 {
		filters = append(filters, httpInspector(exceptPorts(sniffed)))
	}
	return filters, anyTLS || len(sniffed) > 0, len(sniffed) > 0
}

// portsPredicate matches connections to any of the destination ports
// (sorted and deduplicated).
func portsPredicate(ports []uint32) *listenerv3.ListenerFilterChainMatchPredicate {
	ports = slices.Clone(ports)
	slices.Sort(ports)
	ports = slices.Compact(ports)
	rules := make([]*listenerv3.ListenerFilterChainMatchPredicate, 0, len(ports))
	for _, p := range ports {
		rules = append(rules, &listenerv3.ListenerFilterChainMatchPredicate{Rule: &listenerv3.ListenerFilterChainMatchPredicate_DestinationPortRange{
			DestinationPortRange: &typev3.Int32Range{Start: int32(p), End: int32(p) + 1}, // [start, end)
		}})
	}
	if len(rules) == 1 {
		return rules[0]
	}
	return &listenerv3.ListenerFilterChainMatchPredicate{Rule: &listenerv3.ListenerFilterChainMatchPredicate_OrMatch{
		OrMatch: &listenerv3.ListenerFilterChainMatchPredicate_MatchSet{Rules: rules},
	}}
}

// exceptPorts matches connections to any destination port but these: a
// filter with it as filter_disabled runs on these ports only.
func exceptPorts(ports []uint32) *listenerv3.ListenerFilterChainMatchPredicate {
	return &listenerv3.ListenerFilterChainMatchPredicate{
		Rule: &listenerv3.ListenerFilterChainMatchPredicate_NotMatch{NotMatch: portsPredicate(ports)},
	}
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
