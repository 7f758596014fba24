package policy

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// parseDuration reads a CRD duration the way Istio's API does ("3m",
// "1.5s", "100ms"). The CRD's CEL rule already refuses values under min,
// but offline input (sailctl) skips the API server, so check again: Envoy
// rejects zero or negative timeouts.
func parseDuration(s string, min time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	if d < min {
		return 0, fmt.Errorf("duration %q must be at least %v", s, min)
	}
	return d, nil
}

// minDuration is the smallest duration Istio's CRDs accept.
const minDuration = time.Millisecond

// duration converts an optional CRD duration, reporting a bad one under
// (s, field) and returning nil so the caller keeps the default.
func (r *reporter) duration(s section, field string, v *networkingv1.Duration) *durationpb.Duration {
	return r.durationAtLeast(s, field, v, minDuration)
}

// idleDuration is duration for idle timeouts, where Istio documents "0s"
// as "disabled" and Envoy agrees.
func (r *reporter) idleDuration(s section, field string, v *networkingv1.Duration) *durationpb.Duration {
	return r.durationAtLeast(s, field, v, 0)
}

func (r *reporter) durationAtLeast(s section, field string, v *networkingv1.Duration, min time.Duration) *durationpb.Duration {
	if v == nil {
		return nil
	}
	d, err := parseDuration(string(*v), min)
	if err != nil {
		r.add(s, field, "%v", err)
		return nil
	}
	return durationpb.New(d)
}
