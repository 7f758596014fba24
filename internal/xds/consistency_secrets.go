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
// without the certificate. A workload's own certificate and trust bundle
// (names.WorkloadCertSecret, names.RootCASecret) are added per node when
// the snapshot is made, not by translation: a reference to one is
// consistent without it, provided it asks for the right kind.
func secretConsistency(r *Resources) []error {
	secrets := map[string]*tlsv3.Secret{}
	for _, s := range r.Secrets {
		secrets[s.Name] = s
	}
	var errs []error
	check := func(what string, refs []sdsRef) {
		for _, ref := range refs {
			s := secrets[ref.name]
			switch {
			case s == nil && names.IsWorkloadSecret(ref.name):
				if ref.ca != (ref.name == names.RootCASecret) {
					errs = append(errs, fmt.Errorf("%s: workload SDS secret %q asked for as the wrong kind", what, ref.name))
				}
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
		for _, fc := range chainsOf(l) {
			check("listener "+l.Name, sdsRefs(fc.GetTransportSocket()))
		}
	}
	for _, c := range r.Clusters {
		check("cluster "+c.Name, clusterSDSRefs(c))
	}
	return errs
}
