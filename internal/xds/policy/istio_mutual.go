package policy

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/names"
)

// IstioMutualUpstream is the client side of Istio's mutual TLS: the
// workload's own certificate (SDS "default"), the server verified against
// the mesh trust bundle (SDS "ROOTCA") and, when known, the identities the
// destination's workloads run as; SNI as Istio sends it and ALPN "istio"
// (and "h2" to an HTTP/2 upstream), which the server's TLS inspector tells
// mesh traffic by.
func IstioMutualUpstream(sni string, sans []string, h2 bool) *tlsv3.UpstreamTlsContext {
	return &tlsv3.UpstreamTlsContext{
		Sni: sni,
		CommonTlsContext: &tlsv3.CommonTlsContext{
			AlpnProtocols:                  names.OutboundMTLSALPNs(h2),
			TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{sdsSecret(names.WorkloadCertSecret)},
			ValidationContextType: &tlsv3.CommonTlsContext_CombinedValidationContext{
				CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
					DefaultValidationContext:         &tlsv3.CertificateValidationContext{MatchTypedSubjectAltNames: sanMatchers(sans)},
					ValidationContextSdsSecretConfig: sdsSecret(names.RootCASecret),
				},
			},
		},
	}
}

// IstioMutualSocket wraps IstioMutualUpstream in a transport socket.
func IstioMutualSocket(sni string, sans []string, h2 bool) (*corev3.TransportSocket, error) {
	ctx := IstioMutualUpstream(sni, sans, h2)
	if err := ctx.ValidateAll(); err != nil {
		return nil, err
	}
	a, err := marshalAny(ctx)
	if err != nil {
		return nil, err
	}
	return &corev3.TransportSocket{Name: TLSTransportSocket, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: a}}, nil
}

// applyIstioMutual originates Istio mutual TLS (tls.mode ISTIO_MUTUAL):
// tls.sni and tls.subjectAltNames override the SNI and identities the
// caller derived from the destination.
func applyIstioMutual(c *clusterv3.Cluster, t *networkingv1.ClientTLSSettings, h2 bool, r *reporter) {
	sni := r.o.IstioMutualSNI
	if sni == "" {
		sni = r.o.DefaultSNI
	}
	if t.SNI != "" {
		sni = t.SNI
	}
	if len(sni) > maxSNIBytes {
		if t.SNI != "" {
			r.add(secTLS, "sni", "must be at most %d bytes", maxSNIBytes)
		}
		sni = ""
	}
	sans := r.o.IstioMutualSANs
	if len(t.SubjectAltNames) > 0 {
		sans = t.SubjectAltNames
	}
	ts, err := IstioMutualSocket(sni, sans, h2)
	if err != nil {
		r.add(secTLS, "", "invalid TLS settings: %v", err)
		return
	}
	c.TransportSocket = ts
}
