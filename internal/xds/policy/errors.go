package policy

import (
	"fmt"

	"k8s.io/apimachinery/pkg/types"
)

// Kind is the object kind every FieldError of this package names.
const Kind = "DestinationRule"

// FieldError says which field of which DestinationRule could not be applied
// and why. The status writer shows it to users; the setting it names was
// skipped, so the cluster still works with Istio's default in its place.
type FieldError struct {
	Object types.NamespacedName
	Kind   string
	Field  string
	Reason string
}

// Error reads like
// `DestinationRule default/reviews: trafficPolicy.tls.mode: ISTIO_MUTUAL is not supported yet`.
func (e FieldError) Error() string {
	return fmt.Sprintf("%s %s: %s: %s", e.Kind, e.Object, e.Field, e.Reason)
}

// section names a part of a TrafficPolicy; the reporter maps it to the
// field path of the layer the section came from.
type section int

const (
	secLoadBalancer section = iota
	secConnectionPool
	secOutlierDetection
	secTLS
	secTunnel
	secProxyProtocol
	secRetryBudget
)

// jsonName is the section's field name in the CRD.
func (s section) jsonName() string {
	return [...]string{
		"loadBalancer", "connectionPool", "outlierDetection", "tls",
		"tunnel", "proxyProtocol", "retryBudget",
	}[s]
}

// reporter collects FieldErrors for one Apply call.
type reporter struct {
	o    Options
	errs []FieldError
}

// prefix is where a section lives in the object: the layer's own path when
// Options.Paths says so (a section merged from the top level is reported
// there, not under the subset), otherwise Options.Field.
func (r *reporter) prefix(s section) string {
	if r.o.Paths != nil {
		if p := r.o.Paths.of(s); p != "" {
			return p
		}
	}
	if r.o.Field != "" {
		return r.o.Field
	}
	return "trafficPolicy"
}

// add records a problem with field (relative to the section, "" for the
// section itself).
func (r *reporter) add(s section, field, format string, args ...any) {
	path := r.prefix(s) + "." + s.jsonName()
	if s == secConnectionPool && r.o.PoolField != "" {
		path = r.o.PoolField
	}
	if field != "" {
		path += "." + field
	}
	kind := Kind
	if r.o.Kind != "" {
		kind = r.o.Kind
	}
	r.errs = append(r.errs, FieldError{
		Object: r.o.Object,
		Kind:   kind,
		Field:  path,
		Reason: fmt.Sprintf(format, args...),
	})
}
