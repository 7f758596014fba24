package policy

import (
	"net"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/names"
)

// TLSTransportSocket is the name of Envoy's TLS transport socket.
const TLSTransportSocket = "envoy.transport_sockets.tls"

// tls.mode values.
const (
	tlsDisable     = "DISABLE"
	tlsSimple      = "SIMPLE"
	tlsMutual      = "MUTUAL"
	tlsIstioMutual = "ISTIO_MUTUAL"
)

// maxSNIBytes is Envoy's (and DNS's) limit on the SNI.
const maxSNIBytes = 255

// applyTLS originates TLS to the upstream for SIMPLE and MUTUAL with the
// rule's certificates, for ISTIO_MUTUAL with the workload's own (SDS
// "default" and "ROOTCA"); DISABLE leaves the connection plaintext.
func applyTLS(c *clusterv3.Cluster, t *networkingv1.ClientTLSSettings, h2 bool, r *reporter) {
	c.TransportSocket = nil
	if t == nil {
		return
	}
	switch t.Mode {
	case "", tlsDisable:
		return
	case tlsIstioMutual:
		applyIstioMutual(c, t, h2, r)
		return
	case tlsSimple, tlsMutual:
	default:
		r.add(secTLS, "mode", "unknown value %q", t.Mode)
		return
	}
	ctx := upstreamTLSContext(t, h2, r)
	// A last check, so no input can make Envoy reject the whole cluster.
	if err := ctx.ValidateAll(); err != nil {
		r.add(secTLS, "", "invalid TLS settings: %v", err)
		return
	}
	a, err := marshalAny(ctx)
	if err != nil {
		r.add(secTLS, "", "cannot encode TLS settings: %v", err)
		return
	}
	c.TransportSocket = &corev3.TransportSocket{
		Name:       TLSTransportSocket,
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: a},
	}
}

func upstreamTLSContext(t *networkingv1.ClientTLSSettings, h2 bool, r *reporter) *tlsv3.UpstreamTlsContext {
	cc := &tlsv3.CommonTlsContext{}
	if h2 {
		// Servers pick HTTP/2 over TLS by ALPN; without it many fall back
		// to HTTP/1.1 and fail Envoy's h2 preface.
		cc.AlpnProtocols = []string{"h2"}
	}
	if t.Mode == tlsMutual {
		clientCertificate(cc, t, r)
	}
	validation(cc, t, r)
	return &tlsv3.UpstreamTlsContext{Sni: sni(t, r), CommonTlsContext: cc}
}

func sni(t *networkingv1.ClientTLSSettings, r *reporter) string {
	if t.SNI == "" {
		if len(r.o.DefaultSNI) > maxSNIBytes {
			return ""
		}
		return r.o.DefaultSNI
	}
	if len(t.SNI) > maxSNIBytes {
		r.add(secTLS, "sni", "must be at most %d bytes", maxSNIBytes)
		return ""
	}
	return t.SNI
}

// clientCertificate presents the client's key pair: from the proxy's file
// system, or from a Kubernetes Secret served over SDS (credentialName).
func clientCertificate(cc *tlsv3.CommonTlsContext, t *networkingv1.ClientTLSSettings, r *reporter) {
	switch {
	case t.CredentialName != "":
		cc.TlsCertificateSdsSecretConfigs = []*tlsv3.SdsSecretConfig{sdsSecret(names.CredentialSecret(t.CredentialName))}
	case t.ClientCertificate != "" && t.PrivateKey != "":
		cc.TlsCertificates = []*tlsv3.TlsCertificate{{
			CertificateChain: file(t.ClientCertificate),
			PrivateKey:       file(t.PrivateKey),
		}}
	default:
		r.add(secTLS, "mode", "MUTUAL needs credentialName, or clientCertificate and privateKey; connecting without a client certificate")
	}
}

// validation verifies the server: against the Secret's CA (credentialName),
// caCertificates, or the proxy's system roots when the caller knows them.
// insecureSkipVerify turns verification off altogether, names included.
func validation(cc *tlsv3.CommonTlsContext, t *networkingv1.ClientTLSSettings, r *reporter) {
	if t.InsecureSkipVerify != nil && *t.InsecureSkipVerify {
		return
	}
	vc := &tlsv3.CertificateValidationContext{MatchTypedSubjectAltNames: sanMatchers(t.SubjectAltNames)}
	if t.CACrl != "" {
		vc.Crl = file(t.CACrl)
	}
	if t.CredentialName != "" {
		cc.ValidationContextType = &tlsv3.CommonTlsContext_CombinedValidationContext{
			CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
				DefaultValidationContext:         vc,
				ValidationContextSdsSecretConfig: sdsSecret(names.CredentialCASecret(t.CredentialName)),
			},
		}
		return
	}
	ca := t.CACertificates
	if ca == "" {
		ca = r.o.SystemCA
	}
	if ca == "" {
		// Envoy refuses names or a CRL without a CA to check them against.
		if len(vc.MatchTypedSubjectAltNames) > 0 {
			r.add(secTLS, "subjectAltNames", "needs caCertificates: without a trusted CA the names cannot be verified")
		}
		if vc.Crl != nil {
			r.add(secTLS, "caCrl", "needs caCertificates")
		}
		return
	}
	vc.TrustedCa = file(ca)
	cc.ValidationContextType = &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: vc}
}

// SANMatchers matches a peer certificate's names exactly, each typed by
// its shape as sanMatchers explains; gateways check client certificates
// with it.
func SANMatchers(names []string) []*tlsv3.SubjectAltNameMatcher { return sanMatchers(names) }

// sanMatchers matches the server certificate's names exactly. Istio matches
// a name against every SAN type; typed matchers need one, so it is chosen
// from the name's shape: a URI (spiffe://...), an IP address, else DNS.
func sanMatchers(names []string) []*tlsv3.SubjectAltNameMatcher {
	var out []*tlsv3.SubjectAltNameMatcher
	for _, n := range names {
		if n == "" {
			continue
		}
		t := tlsv3.SubjectAltNameMatcher_DNS
		switch {
		case strings.Contains(n, "://"):
			t = tlsv3.SubjectAltNameMatcher_URI
		case net.ParseIP(n) != nil:
			t = tlsv3.SubjectAltNameMatcher_IP_ADDRESS
		}
		out = append(out, &tlsv3.SubjectAltNameMatcher{
			SanType: t,
			Matcher: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: n}},
		})
	}
	return out
}

func file(path string) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: path}}
}
