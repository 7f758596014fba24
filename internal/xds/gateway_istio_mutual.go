package xds

import (
	"fmt"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/sailplane/sailplane/internal/xds/policy"
)

// istioMutualServerTLS is the TLS context of a gateway server with
// tls.mode ISTIO_MUTUAL: the gateway terminates Istio mutual TLS with its
// own workload certificate (SDS "default"), verifying clients against the
// mesh trust bundle ("ROOTCA"), as a sidecar's STRICT inbound does; the
// server's subjectAltNames, when set, limit the client identities. The
// certificate is the gateway's, so the server may name no other (Istio's
// validation refuses credentialName and certificate files with it). On
// failure it names the tls field at fault.
func istioMutualServerTLS(s *gwServer) (*tlsv3.DownstreamTlsContext, string, error) {
	t := s.spec.TLS
	switch {
	case t.CredentialName != "" || len(t.CredentialNames) > 0:
		return nil, "credentialName", fmt.Errorf("ISTIO_MUTUAL uses the gateway's workload certificate; credentialName must not be set")
	case t.ServerCertificate != "" || t.PrivateKey != "" || t.CACertificates != "" || len(t.TLSCertificates) > 0:
		return nil, "serverCertificate", fmt.Errorf("ISTIO_MUTUAL uses the gateway's workload certificate; certificate files must not be set")
	}
	ctx := IstioMutualDownstream(s.kind == terminatedHTTPS)
	params, field, err := tlsParams(t)
	if err != nil {
		return nil, field, err
	}
	if params != nil {
		ctx.CommonTlsContext.TlsParams = params
	}
	if len(t.SubjectAltNames) > 0 {
		ctx.CommonTlsContext.GetCombinedValidationContext().DefaultValidationContext.MatchTypedSubjectAltNames = policy.SANMatchers(t.SubjectAltNames)
	}
	if err := ctx.ValidateAll(); err != nil {
		return nil, "", fmt.Errorf("invalid TLS settings: %v", err)
	}
	return ctx, "", nil
}
