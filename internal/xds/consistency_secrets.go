package xds

import (
	"fmt"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/sailplane/sailplane/internal/names"
)

// secretConsistency checks every SDS secret a listener's filter chain or a
// cluster asks for: it must be among the resources, and be a key pair
// where a certificate is wanted and a validation context where a CA is.
// Envoy would otherwise keep the listener or cluster warming, then serve
// without the certificate.
//
// A workload's own certificate and trust bundle ("default", "ROOTCA") are
// never among the resources: the SDS server serves them from the
// workload certificate issuer, so they stand for themselves here.
func secretConsistency(r *Resources) []error {
	secrets := map[string]*tlsv3.Secret{}
	for _, s := range r.Secrets {
		secrets[s.Name] = s
	}
	var errs []error
	check := func(what string, refs []sdsRef) {
		for _, ref := range refs {
			s := secrets[ref.name]
			if s == nil {
				s = workloadSecrets[ref.name]
			}
			switch {
			case s == nil:
				errs = append(errs, fmt.Errorf("%s: SDS secret %q missing", what, ref.name))
			case ref.ca && s.GetValidationContext() == nil:
				errs = append(errs, fmt.Errorf("%s: SDS secret %q is not a validation context", what, ref.name))
			case !ref.ca && s.GetTlsCertificate() == nil:
				errs = append(errs, fmt.Errorf("%s: SDS secret %q is not a TLS certificate", what, ref.name))
			}
		}
	}
	for _, l := range r.Listeners {
		if l.DefaultFilterChain != nil {
			check("listener "+l.Name, sdsRefs(l.DefaultFilterChain.GetTransportSocket()))
		}
		for _, fc := range l.FilterChains {
			check("listener "+l.Name, sdsRefs(fc.GetTransportSocket()))
		}
	}
	for _, c := range r.Clusters {
		check("cluster "+c.Name, sdsRefs(c.GetTransportSocket()))
	}
	return errs
}

// workloadSecrets stand for the secrets the SDS server serves under
// Istio's workload names, by kind.
var workloadSecrets = func() map[string]*tlsv3.Secret {
	out := map[string]*tlsv3.Secret{}
	for _, s := range WorkloadSecrets(nil, nil, nil) {
		if names.IsWorkloadSecret(s.Name) {
			out[s.Name] = s
		}
	}
	return out
}()
