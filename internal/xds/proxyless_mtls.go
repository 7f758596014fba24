package xds

import (
	"strconv"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// grpcTransport gives a cluster the transport gRPC reads (gRFC A29) in
// place of Envoy's: gRPC has no SDS and no transport socket matches, only
// one UpstreamTlsContext per cluster whose certificates come from the
// certificate provider instances of the client's bootstrap. So, as
// Istio's grpcgen decides, mutual TLS is chosen per cluster, not per
// endpoint:
//   - ISTIO_MUTUAL (the DestinationRule's, an SDS-based context here)
//     becomes mutual TLS with the same identities to verify;
//   - auto mTLS (transport socket matches) becomes mutual TLS when every
//     endpoint of the cluster runs a mesh proxy and none DISABLEs mutual
//     TLS on its port, else plaintext: one unmeshed endpoint makes the
//     cluster plaintext, which meshed PERMISSIVE servers still accept;
//   - a client without certificates (Proxy.CertProviders unset: it did
//     not prove an identity on the authenticated port) gets plaintext for
//     auto mTLS and, for ISTIO_MUTUAL, a cluster without endpoints, so
//     what the rule says must be encrypted is never sent in the clear.
//
// Other TLS (SIMPLE, MUTUAL with files or credentialName) is dropped and
// reported by reportProxylessLimits. loads indexes g.out.Endpoints by
// cluster name.
func (g *generator) grpcTransport(c *clusterv3.Cluster, loads map[string]int) {
	forced, forcedSANs := istioMutualSANs(c.GetTransportSocket())
	auto, autoSANs := false, []*matcherv3.StringMatcher(nil)
	for _, m := range c.GetTransportSocketMatches() {
		if m.GetName() == names.TransportSocketMatchIstio {
			auto, autoSANs = istioMutualSANs(m.GetTransportSocket())
		}
	}
	c.TransportSocket, c.TransportSocketMatches = nil, nil
	switch {
	case forced && g.proxy.CertProviders:
		c.TransportSocket = grpcUpstreamSocket(forcedSANs)
	case forced:
		g.closeCluster(c, loads)
	case auto && g.proxy.CertProviders && allMeshed(g.loadOf(c, loads)) && !g.anyDisables(c.Name, g.loadOf(c, loads)):
		c.TransportSocket = grpcUpstreamSocket(autoSANs)
	}
}

// istioMutualSANs reports whether a transport socket is Istio mutual TLS
// (the workload's own certificate, SDS "default") and returns the
// identities it verifies the server against, as gRPC's SAN matchers.
func istioMutualSANs(ts *corev3.TransportSocket) (bool, []*matcherv3.StringMatcher) {
	if ts.GetTypedConfig() == nil {
		return false, nil
	}
	var ctx tlsv3.UpstreamTlsContext
	if err := ts.GetTypedConfig().UnmarshalTo(&ctx); err != nil {
		return false, nil
	}
	own := false
	for _, s := range ctx.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
		own = own || s.GetName() == names.WorkloadCertSecret
	}
	if !own {
		return false, nil
	}
	var sans []*matcherv3.StringMatcher
	for _, m := range ctx.GetCommonTlsContext().GetCombinedValidationContext().GetDefaultValidationContext().GetMatchTypedSubjectAltNames() {
		sans = append(sans, m.GetMatcher())
	}
	return true, sans
}

// grpcUpstreamSocket is the client side of mutual TLS for gRPC: its
// certificate and the mesh roots from the bootstrap's certificate provider
// instance, the server's certificate required to carry one of sans (gRPC
// matches them against every SAN of the certificate; the SPIFFE ids are
// URI SANs). gRPC ignores SNI and ALPN here, so none are set.
func grpcUpstreamSocket(sans []*matcherv3.StringMatcher) *corev3.TransportSocket {
	ctx := &tlsv3.UpstreamTlsContext{CommonTlsContext: grpcCommonTLS(sans)}
	return &corev3.TransportSocket{Name: names.TLSTransportSocket, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(ctx)}}
}

// grpcCommonTLS names the certificate provider instance for the key pair
// and the roots, in the fields gRFC A29 defines
// (tls_certificate_provider_instance, validation_context's
// ca_certificate_provider_instance; gRPC releases before 1.66 read only
// the deprecated ones Istio also sends).
func grpcCommonTLS(sans []*matcherv3.StringMatcher) *tlsv3.CommonTlsContext {
	return &tlsv3.CommonTlsContext{
		TlsCertificateProviderInstance: &tlsv3.CertificateProviderPluginInstance{
			InstanceName: names.GRPCCertProviderInstance, CertificateName: names.WorkloadCertSecret,
		},
		ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
			CaCertificateProviderInstance: &tlsv3.CertificateProviderPluginInstance{
				InstanceName: names.GRPCCertProviderInstance, CertificateName: names.RootCASecret,
			},
			MatchSubjectAltNames: sans, //nolint:staticcheck // gRPC reads this field, not the typed one
		}},
	}
}

func (g *generator) loadOf(c *clusterv3.Cluster, loads map[string]int) *endpointv3.ClusterLoadAssignment {
	if i, ok := loads[edsServiceName(c)]; ok {
		return g.out.Endpoints[i]
	}
	return c.GetLoadAssignment()
}

func edsServiceName(c *clusterv3.Cluster) string {
	if n := c.GetEdsClusterConfig().GetServiceName(); n != "" {
		return n
	}
	return c.GetName()
}

// allMeshed reports whether a load assignment has endpoints and every one
// of them runs a mesh proxy (the metadata auto mTLS matches on).
func allMeshed(cla *endpointv3.ClusterLoadAssignment) bool {
	n := 0
	for _, l := range cla.GetEndpoints() {
		for _, e := range l.GetLbEndpoints() {
			md := e.GetMetadata().GetFilterMetadata()[names.TransportSocketMatchFilter]
			if md.GetFields()[names.TLSModeKey].GetStringValue() != names.TLSModeIstio {
				return false
			}
			n++
		}
	}
	return n > 0
}

// closeCluster keeps a cluster's name but takes its endpoints away (a
// non-EDS one becomes an EDS cluster with none), so its calls fail with
// UNAVAILABLE rather than go out unprotected.
func (g *generator) closeCluster(c *clusterv3.Cluster, loads map[string]int) {
	empty := &endpointv3.ClusterLoadAssignment{ClusterName: edsServiceName(c)}
	if c.GetType() == clusterv3.Cluster_EDS {
		if i, ok := loads[empty.ClusterName]; ok {
			g.out.Endpoints[i] = empty
		}
		return
	}
	c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS}
	c.LoadAssignment = nil
	c.EdsClusterConfig = &clusterv3.Cluster_EdsClusterConfig{EdsConfig: adsSource(), ServiceName: c.Name}
	empty.ClusterName = c.Name
	loads[c.Name] = len(g.out.Endpoints)
	g.out.Endpoints = append(g.out.Endpoints, empty)
}

// anyDisables reports whether the PeerAuthentication of a pod behind one of
// the load assignment's endpoints DISABLEs mutual TLS on the endpoint's
// port: it would refuse the handshake.
func (g *generator) anyDisables(cluster string, cla *endpointv3.ClusterLoadAssignment) bool {
	key, ok := names.ParseCluster(cluster)
	svc := g.m.Services[key.Host]
	if !ok || svc == nil {
		return false
	}
	in := map[string]bool{}
	for _, l := range cla.GetEndpoints() {
		for _, e := range l.GetLbEndpoints() {
			sa := e.GetEndpoint().GetAddress().GetSocketAddress()
			in[sa.GetAddress()+":"+strconv.FormatUint(uint64(sa.GetPortValue()), 10)] = true
		}
	}
	for _, e := range svc.Endpoints[key.Port] {
		if e.Pod == nil || !in[e.Address+":"+strconv.FormatUint(uint64(e.Port), 10)] {
			continue
		}
		if w := g.m.Pods[*e.Pod]; w != nil && g.m.MTLSModeFor(w.Ref.Namespace, w.Labels, e.Port) == model.MTLSDisable {
			return true
		}
	}
	return false
}
