package policy

import (
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func filename(p string) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: p}}
}

func san(t tlsv3.SubjectAltNameMatcher_SanType, name string) *tlsv3.SubjectAltNameMatcher {
	return &tlsv3.SubjectAltNameMatcher{SanType: t, Matcher: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: name}}}
}

func adsSecret(name string) *tlsv3.SdsSecretConfig {
	return &tlsv3.SdsSecretConfig{Name: name, SdsConfig: &corev3.ConfigSource{
		ResourceApiVersion:    corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
	}}
}

func validationContext(vc *tlsv3.CertificateValidationContext) *tlsv3.CommonTlsContext_ValidationContext {
	return &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: vc}
}

type tlsCase struct {
	name     string
	tls      *networkingv1.ClientTLSSettings
	o        func(*Options)
	want     *tlsv3.UpstreamTlsContext // nil: plaintext
	wantErrs []FieldError
}

var tlsCases = []tlsCase{
	{name: "no tls"},
	{name: "DISABLE", tls: &networkingv1.ClientTLSSettings{Mode: "DISABLE"}},
	{
		name: "ISTIO_MUTUAL presents the workload certificate and expects the destination's identities",
		tls:  &networkingv1.ClientTLSSettings{Mode: "ISTIO_MUTUAL"},
		o: func(o *Options) {
			o.IstioMutualSNI = "outbound_.9080_.v1_.reviews.default.svc.cluster.local"
			o.IstioMutualSANs = []string{"spiffe://cluster.local/ns/default/sa/reviews"}
			o.DefaultSNI = "ignored"
		},
		want: istioMutual("outbound_.9080_.v1_.reviews.default.svc.cluster.local", []string{"istio"}, "spiffe://cluster.local/ns/default/sa/reviews"),
	},
	{
		name: "ISTIO_MUTUAL with the rule's sni and subjectAltNames, to an HTTP/2 upstream",
		tls:  &networkingv1.ClientTLSSettings{Mode: "ISTIO_MUTUAL", SNI: "custom.example", SubjectAltNames: []string{"spiffe://cluster.local/ns/x/sa/y"}},
		o: func(o *Options) {
			o.HTTP2 = true
			o.IstioMutualSNI = "outbound_.9080__.reviews.default.svc.cluster.local"
			o.IstioMutualSANs = []string{"spiffe://cluster.local/ns/default/sa/reviews"}
		},
		want: istioMutual("custom.example", []string{"istio", "h2"}, "spiffe://cluster.local/ns/x/sa/y"),
	},
	{
		name: "SIMPLE without CA does not verify, SNI from the host",
		tls:  &networkingv1.ClientTLSSettings{Mode: "SIMPLE"},
		o:    func(o *Options) { o.DefaultSNI = "reviews.default.svc.cluster.local" },
		want: &tlsv3.UpstreamTlsContext{Sni: "reviews.default.svc.cluster.local", CommonTlsContext: &tlsv3.CommonTlsContext{}},
	},
	{
		name: "SIMPLE verifies against the system CA when the caller knows it",
		tls:  &networkingv1.ClientTLSSettings{Mode: "SIMPLE", SNI: "api.example.com", SubjectAltNames: []string{"api.example.com"}},
		o:    func(o *Options) { o.SystemCA = "/etc/ssl/certs/ca-certificates.crt"; o.DefaultSNI = "ignored" },
		want: &tlsv3.UpstreamTlsContext{Sni: "api.example.com", CommonTlsContext: &tlsv3.CommonTlsContext{
			ValidationContextType: validationContext(&tlsv3.CertificateValidationContext{
				TrustedCa:                 filename("/etc/ssl/certs/ca-certificates.crt"),
				MatchTypedSubjectAltNames: []*tlsv3.SubjectAltNameMatcher{san(tlsv3.SubjectAltNameMatcher_DNS, "api.example.com")},
			}),
		}},
	},
	{
		name: "SIMPLE with CA, names and CRL",
		tls: &networkingv1.ClientTLSSettings{
			Mode: "SIMPLE", CACertificates: "/etc/certs/ca.pem", CACrl: "/etc/certs/crl.pem",
			SubjectAltNames: []string{"reviews.example.com", "spiffe://cluster.local/ns/default/sa/reviews", "10.0.0.1"},
		},
		o: func(o *Options) { o.SystemCA = "/not/used" },
		want: &tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
			ValidationContextType: validationContext(&tlsv3.CertificateValidationContext{
				TrustedCa: filename("/etc/certs/ca.pem"),
				Crl:       filename("/etc/certs/crl.pem"),
				MatchTypedSubjectAltNames: []*tlsv3.SubjectAltNameMatcher{
					san(tlsv3.SubjectAltNameMatcher_DNS, "reviews.example.com"),
					san(tlsv3.SubjectAltNameMatcher_URI, "spiffe://cluster.local/ns/default/sa/reviews"),
					san(tlsv3.SubjectAltNameMatcher_IP_ADDRESS, "10.0.0.1"),
				},
			}),
		}},
	},
	{
		name: "insecureSkipVerify drops all verification",
		tls:  &networkingv1.ClientTLSSettings{Mode: "SIMPLE", CACertificates: "/etc/certs/ca.pem", SubjectAltNames: []string{"a"}, InsecureSkipVerify: ptr(true)},
		want: &tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{}},
	},
	{
		name: "names without a CA are reported, not sent to Envoy",
		tls:  &networkingv1.ClientTLSSettings{Mode: "SIMPLE", SubjectAltNames: []string{"a"}, CACrl: "/crl"},
		want: &tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{}},
		wantErrs: []FieldError{
			fe(tlsField+".subjectAltNames", "needs caCertificates: without a trusted CA the names cannot be verified"),
			fe(tlsField+".caCrl", "needs caCertificates"),
		},
	},
	{
		name: "MUTUAL with files",
		tls:  &networkingv1.ClientTLSSettings{Mode: "MUTUAL", ClientCertificate: "/etc/certs/cert.pem", PrivateKey: "/etc/certs/key.pem", CACertificates: "/etc/certs/ca.pem"},
		want: &tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsCertificates:       []*tlsv3.TlsCertificate{{CertificateChain: filename("/etc/certs/cert.pem"), PrivateKey: filename("/etc/certs/key.pem")}},
			ValidationContextType: validationContext(&tlsv3.CertificateValidationContext{TrustedCa: filename("/etc/certs/ca.pem")}),
		}},
	},
	{
		name:     "MUTUAL without a key pair is reported",
		tls:      &networkingv1.ClientTLSSettings{Mode: "MUTUAL", ClientCertificate: "/etc/certs/cert.pem"},
		want:     &tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{}},
		wantErrs: []FieldError{fe(tlsField+".mode", "MUTUAL needs credentialName, or clientCertificate and privateKey; connecting without a client certificate")},
	},
	{
		name: "MUTUAL with credentialName over SDS",
		tls:  &networkingv1.ClientTLSSettings{Mode: "MUTUAL", CredentialName: "client-cert", SubjectAltNames: []string{"api.example.com"}},
		want: &tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{adsSecret("kubernetes://client-cert")},
			ValidationContextType: &tlsv3.CommonTlsContext_CombinedValidationContext{
				CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
					DefaultValidationContext: &tlsv3.CertificateValidationContext{
						MatchTypedSubjectAltNames: []*tlsv3.SubjectAltNameMatcher{san(tlsv3.SubjectAltNameMatcher_DNS, "api.example.com")},
					},
					ValidationContextSdsSecretConfig: adsSecret("kubernetes://client-cert-cacert"),
				},
			},
		}},
	},
	{
		name: "SIMPLE with credentialName takes only the CA",
		tls:  &networkingv1.ClientTLSSettings{Mode: "SIMPLE", CredentialName: "kubernetes://ca-only"},
		want: &tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
			ValidationContextType: &tlsv3.CommonTlsContext_CombinedValidationContext{
				CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
					DefaultValidationContext:         &tlsv3.CertificateValidationContext{},
					ValidationContextSdsSecretConfig: adsSecret("kubernetes://ca-only-cacert"),
				},
			},
		}},
	},
	{
		name: "HTTP/2 upstream offers ALPN h2",
		tls:  &networkingv1.ClientTLSSettings{Mode: "SIMPLE"},
		o:    func(o *Options) { o.HTTP2 = true },
		want: &tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{AlpnProtocols: []string{"h2"}}},
	},
	{
		name:     "SNI too long for Envoy",
		tls:      &networkingv1.ClientTLSSettings{Mode: "SIMPLE", SNI: strings.Repeat("a", 256)},
		want:     &tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{}},
		wantErrs: []FieldError{fe(tlsField+".sni", "must be at most 255 bytes")},
	},
}

func TestTLS(t *testing.T) {
	for _, tt := range tlsCases {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions()
			if tt.o != nil {
				tt.o(&o)
			}
			c, errs := applyTo(t, &networkingv1.TrafficPolicy{TLS: tt.tls}, o)
			wantErrors(t, errs, tt.wantErrs...)
			if tt.want == nil {
				if c.TransportSocket != nil {
					t.Fatalf("want plaintext, got %v", c.TransportSocket)
				}
				return
			}
			if c.TransportSocket == nil {
				t.Fatal("want TLS, got plaintext")
			}
			protoEqual(t, "UpstreamTlsContext", tlsContext(t, c.TransportSocket), tt.want)
		})
	}
}

// UPGRADE makes the upstream HTTP/2, so TLS must offer h2 too.
func TestTLSFollowsUpgrade(t *testing.T) {
	p := &networkingv1.TrafficPolicy{
		TLS:            &networkingv1.ClientTLSSettings{Mode: "SIMPLE"},
		ConnectionPool: &networkingv1.ConnectionPoolSettings{HTTP: &networkingv1.HTTPSettings{H2UpgradePolicy: "UPGRADE"}},
	}
	c := applyOK(t, p, testOptions())
	if got := tlsContext(t, c.TransportSocket).GetCommonTlsContext().GetAlpnProtocols(); len(got) != 1 || got[0] != "h2" {
		t.Errorf("alpn %v, want [h2]", got)
	}
}

// useClientProtocol mirrors the client, so TLS cannot promise h2 by ALPN,
// even on a grpc port.
func TestTLSWithClientProtocolOffersNoALPN(t *testing.T) {
	p := &networkingv1.TrafficPolicy{
		TLS:            &networkingv1.ClientTLSSettings{Mode: "SIMPLE"},
		ConnectionPool: &networkingv1.ConnectionPoolSettings{HTTP: &networkingv1.HTTPSettings{UseClientProtocol: true}},
	}
	o := testOptions()
	o.HTTP2 = true
	c := applyOK(t, p, o)
	if got := tlsContext(t, c.TransportSocket).GetCommonTlsContext().GetAlpnProtocols(); len(got) != 0 {
		t.Errorf("alpn %v, want none", got)
	}
}

func istioMutual(sni string, alpn []string, sans ...string) *tlsv3.UpstreamTlsContext {
	var m []*tlsv3.SubjectAltNameMatcher
	for _, s := range sans {
		m = append(m, san(tlsv3.SubjectAltNameMatcher_URI, s))
	}
	return &tlsv3.UpstreamTlsContext{Sni: sni, CommonTlsContext: &tlsv3.CommonTlsContext{
		AlpnProtocols:                  alpn,
		TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{adsSecret("default")},
		ValidationContextType: &tlsv3.CommonTlsContext_CombinedValidationContext{
			CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
				DefaultValidationContext:         &tlsv3.CertificateValidationContext{MatchTypedSubjectAltNames: m},
				ValidationContextSdsSecretConfig: adsSecret("ROOTCA"),
			},
		},
	}}
}
