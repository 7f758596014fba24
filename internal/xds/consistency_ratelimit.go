package xds

import (
	"fmt"
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	lrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	netlrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/local_ratelimit/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
)

// rateLimitChecks are what Envoy refuses in a local_ratelimit filter that
// the listener's own proto validation cannot see (the filter is an Any):
// the filter's proto validation, a fill interval under 50ms, and a
// descriptor whose fill interval is not a multiple of the filter
// bucket's. It also reports a descriptor no rate_limits action can
// produce (a rule that would never count anything), and rules on the
// caller that the connection manager's XFCC settings would defeat.
func rateLimitChecks(l *listenerv3.Listener) []error {
	var errs []error
	for _, fc := range chainsOf(l) {
		for _, f := range fc.GetFilters() {
			where := fmt.Sprintf("listener %s chain %q", l.Name, fc.Name)
			switch f.Name {
			case names.LocalRateLimitNetworkFilter:
				var cfg netlrlv3.LocalRateLimit
				if err := f.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
					errs = append(errs, fmt.Errorf("%s: network local_ratelimit: %v", where, err))
					continue
				}
				errs = append(errs, validated(where+": network local_ratelimit", &cfg)...)
				errs = append(errs, bucketErrors(where+": network local_ratelimit", cfg.TokenBucket, 0)...)
			case names.HTTPConnectionManagerFilter:
				var h hcmv3.HttpConnectionManager
				if f.GetTypedConfig().UnmarshalTo(&h) != nil {
					continue // listenerRefs reports it
				}
				for _, hf := range h.HttpFilters {
					if hf.Name == names.LocalRateLimitFilter {
						errs = append(errs, httpRateLimitErrors(where, hf)...)
					}
				}
				errs = append(errs, peerHeaderErrors(where, &h)...)
			}
		}
	}
	return errs
}

func httpRateLimitErrors(where string, hf *hcmv3.HttpFilter) []error {
	var cfg lrlv3.LocalRateLimit
	if err := hf.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
		return []error{fmt.Errorf("%s: local_ratelimit: %v", where, err)}
	}
	where += ": local_ratelimit"
	errs := validated(where, &cfg)
	var base time.Duration
	if cfg.TokenBucket != nil {
		errs = append(errs, bucketErrors(where, cfg.TokenBucket, 0)...)
		base = cfg.TokenBucket.GetFillInterval().AsDuration()
	}
	produced := map[string]bool{}
	for _, rl := range cfg.RateLimits {
		for _, a := range rl.Actions {
			if m := a.GetHeaderValueMatch(); m != nil {
				produced[m.DescriptorKey+"="+m.DescriptorValue] = true
			}
		}
	}
	for _, d := range cfg.Descriptors {
		errs = append(errs, bucketErrors(where, d.TokenBucket, base)...)
		for _, e := range d.Entries {
			if !produced[e.Key+"="+e.Value] {
				errs = append(errs, fmt.Errorf("%s: descriptor %s=%s is produced by no rate_limits action", where, e.Key, e.Value))
			}
		}
	}
	return errs
}

func validated(where string, m validator) []error {
	if err := m.ValidateAll(); err != nil {
		return []error{fmt.Errorf("%s: invalid Envoy config: %v", where, err)}
	}
	return nil
}

// bucketErrors reports a bucket Envoy refuses: a fill interval under
// 50ms, or (for a descriptor, base > 0) one not a multiple of the
// filter bucket's.
func bucketErrors(where string, b *typev3.TokenBucket, base time.Duration) []error {
	if b == nil {
		return []error{fmt.Errorf("%s: descriptor without token bucket", where)}
	}
	d := b.GetFillInterval().AsDuration()
	var errs []error
	if d < defaults.RateLimitMinFillInterval {
		errs = append(errs, fmt.Errorf("%s: fill interval %s under %s", where, d, defaults.RateLimitMinFillInterval))
	}
	if base > 0 && d%base != 0 {
		errs = append(errs, fmt.Errorf("%s: descriptor fill interval %s is not a multiple of the filter's %s", where, d, base))
	}
	return errs
}
