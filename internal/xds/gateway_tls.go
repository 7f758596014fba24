package xds

import (
	"fmt"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xds/policy"
)

// alpnHTTP is what an HTTPS server offers: HTTP/2 first, then HTTP/1.1.
var alpnHTTP = []string{"h2", "http/1.1"}

// tlsVersions maps Istio's protocol names to Envoy's.
var tlsVersions = map[string]tlsv3.TlsParameters_TlsProtocol{
	"":         tlsv3.TlsParameters_TLS_AUTO,
	"TLS_AUTO": tlsv3.TlsParameters_TLS_AUTO,
	"TLSV1_0":  tlsv3.TlsParameters_TLSv1_0,
	"TLSV1_1":  tlsv3.TlsParameters_TLSv1_1,
	"TLSV1_2":  tlsv3.TlsParameters_TLSv1_2,
	"TLSV1_3":  tlsv3.TlsParameters_TLSv1_3,
}

// downstreamTLS builds the TLS context of a server that terminates TLS:
// its certificates (over SDS for credentialName, else files), the
// parameters, and client verification for MUTUAL and OPTIONAL_MUTUAL. On
// failure it names the tls field at fault.
func (g *generator) downstreamTLS(s *gwServer, creds []model.Credential) (*tlsv3.DownstreamTlsContext, string, error) {
	t := s.spec.TLS
	cc := &tlsv3.CommonTlsContext{}
	if s.kind == terminatedHTTPS {
		cc.AlpnProtocols = alpnHTTP
	}
	params, field, err := tlsParams(t)
	if err != nil {
		return nil, field, err
	}
	cc.TlsParams = params
	if len(creds) > 0 {
		for _, c := range creds {
			cc.TlsCertificateSdsSecretConfigs = append(cc.TlsCertificateSdsSecretConfigs, adsSecret(g.keyPairSecret(c)))
		}
	} else if cc.TlsCertificates = fileCertificates(t); len(cc.TlsCertificates) == 0 {
		return nil, "mode", fmt.Errorf("%s needs credentialName, or serverCertificate and privateKey", t.Mode)
	}
	ctx := &tlsv3.DownstreamTlsContext{CommonTlsContext: cc}
	if t.Mode == model.ServerTLSMutual || t.Mode == model.ServerTLSOptionalMutual {
		if field, err := g.clientValidation(ctx, t, creds); err != nil {
			return nil, field, err
		}
	}
	if err := ctx.ValidateAll(); err != nil {
		return nil, "", fmt.Errorf("invalid TLS settings: %v", err)
	}
	return ctx, "", nil
}

// tlsParams reads the protocol range and cipher suites. Envoy refuses a
// whole listener over one unknown cipher, so each is checked here.
func tlsParams(t *networkingv1.ServerTLSSettings) (*tlsv3.TlsParameters, string, error) {
	minV, okMin := tlsVersions[t.MinProtocolVersion]
	maxV, okMax := tlsVersions[t.MaxProtocolVersion]
	switch {
	case !okMin:
		return nil, "minProtocolVersion", fmt.Errorf("unknown version %q", t.MinProtocolVersion)
	case !okMax:
		return nil, "maxProtocolVersion", fmt.Errorf("unknown version %q", t.MaxProtocolVersion)
	case minV != tlsv3.TlsParameters_TLS_AUTO && maxV != tlsv3.TlsParameters_TLS_AUTO && minV > maxV:
		return nil, "minProtocolVersion", fmt.Errorf("%s is above maxProtocolVersion %s", t.MinProtocolVersion, t.MaxProtocolVersion)
	}
	for i, c := range t.CipherSuites {
		if !validCipherSuite(c) {
			return nil, fmt.Sprintf("cipherSuites[%d]", i), fmt.Errorf("unknown cipher suite %q", c)
		}
	}
	if minV == tlsv3.TlsParameters_TLS_AUTO && maxV == tlsv3.TlsParameters_TLS_AUTO && len(t.CipherSuites) == 0 {
		return nil, "", nil
	}
	return &tlsv3.TlsParameters{TlsMinimumProtocolVersion: minV, TlsMaximumProtocolVersion: maxV, CipherSuites: t.CipherSuites}, "", nil
}

// cipherSuites are the names Envoy (BoringSSL) accepts, as Istio lists
// them for validation.
var cipherSuites = map[string]bool{
	"ECDHE-ECDSA-AES128-GCM-SHA256": true, "ECDHE-RSA-AES128-GCM-SHA256": true,
	"ECDHE-ECDSA-AES256-GCM-SHA384": true, "ECDHE-RSA-AES256-GCM-SHA384": true,
	"ECDHE-ECDSA-CHACHA20-POLY1305": true, "ECDHE-RSA-CHACHA20-POLY1305": true,
	"ECDHE-PSK-CHACHA20-POLY1305": true, "ECDHE-ECDSA-AES128-SHA": true, "ECDHE-RSA-AES128-SHA": true,
	"ECDHE-PSK-AES128-CBC-SHA": true, "ECDHE-ECDSA-AES256-SHA": true, "ECDHE-RSA-AES256-SHA": true,
	"ECDHE-PSK-AES256-CBC-SHA": true, "AES128-GCM-SHA256": true, "AES256-GCM-SHA384": true,
	"AES128-SHA": true, "AES256-SHA": true, "PSK-AES128-CBC-SHA": true, "PSK-AES256-CBC-SHA": true,
	"DES-CBC3-SHA": true,
}

// validCipherSuite accepts a known name, or an equal-preference group of
// known names ("[A|B]").
func validCipherSuite(c string) bool {
	if group, ok := strings.CutPrefix(c, "["); ok {
		group, ok = strings.CutSuffix(group, "]")
		if !ok || group == "" {
			return false
		}
		for _, m := range strings.Split(group, "|") {
			if !cipherSuites[m] {
				return false
			}
		}
		return true
	}
	return cipherSuites[c]
}

// fileCertificates reads key pairs the gateway pod mounts.
func fileCertificates(t *networkingv1.ServerTLSSettings) []*tlsv3.TlsCertificate {
	var out []*tlsv3.TlsCertificate
	if t.ServerCertificate != "" && t.PrivateKey != "" {
		out = append(out, &tlsv3.TlsCertificate{CertificateChain: fileSource(t.ServerCertificate), PrivateKey: fileSource(t.PrivateKey)})
	}
	for _, c := range t.TLSCertificates {
		if c.ServerCertificate != "" && c.PrivateKey != "" {
			out = append(out, &tlsv3.TlsCertificate{CertificateChain: fileSource(c.ServerCertificate), PrivateKey: fileSource(c.PrivateKey)})
		}
	}
	return out
}

// clientValidation makes the server ask for client certificates and check
// them against the CA (the credential's, over SDS, or a file), the allowed
// names, SPKI pins and hashes. OPTIONAL_MUTUAL checks a certificate only
// when the client sends one.
func (g *generator) clientValidation(ctx *tlsv3.DownstreamTlsContext, t *networkingv1.ServerTLSSettings, creds []model.Credential) (string, error) {
	vc := &tlsv3.CertificateValidationContext{
		MatchTypedSubjectAltNames: policy.SANMatchers(t.SubjectAltNames),
		VerifyCertificateSpki:     t.VerifyCertificateSpki,
		VerifyCertificateHash:     t.VerifyCertificateHash,
	}
	if t.CACrl != "" {
		vc.Crl = fileSource(t.CACrl)
	}
	ctx.RequireClientCertificate = wrapperspb.Bool(t.Mode == model.ServerTLSMutual)
	cc := ctx.CommonTlsContext
	if len(creds) > 0 {
		cc.ValidationContextType = &tlsv3.CommonTlsContext_CombinedValidationContext{
			CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
				DefaultValidationContext:         vc,
				ValidationContextSdsSecretConfig: adsSecret(g.caSecret(creds[0])),
			},
		}
		return "", nil
	}
	ca := t.CACertificates
	for _, c := range t.TLSCertificates {
		if ca == "" {
			ca = c.CACertificates
		}
	}
	if ca == "" {
		return "caCertificates", fmt.Errorf("%s needs caCertificates to verify clients", t.Mode)
	}
	vc.TrustedCa = fileSource(ca)
	cc.ValidationContextType = &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: vc}
	return "", nil
}

func fileSource(path string) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: path}}
}

// adsSecret fetches a secret over the proxy's ADS stream: sailplane serves
// secrets itself, there is no node agent.
func adsSecret(name string) *tlsv3.SdsSecretConfig {
	return &tlsv3.SdsSecretConfig{Name: name, SdsConfig: adsSource()}
}
