package simulate

import (
	"strings"

	rlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ratelimit/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/sailplane/sailplane/internal/names"
)

// GlobalDescriptors are the descriptors each ratelimit filter of the
// connection manager sends its rate limit service for req, by filter
// name, each "key=value,key=value" in action order: what the filter's own
// rate_limits produce (route-level rate limits are not read; sailplane
// sets none). The service's answer is not simulated.
func GlobalDescriptors(hcm *hcmv3.HttpConnectionManager, req Request) (map[string][]string, error) {
	out := map[string][]string{}
	for _, f := range hcm.GetHttpFilters() {
		if !strings.HasPrefix(f.GetName(), names.RateLimitFilter+".") {
			continue
		}
		var cfg rlv3.RateLimit
		if err := f.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
			return nil, err
		}
		ds, err := descriptors(cfg.GetRateLimits(), req)
		if err != nil {
			return nil, err
		}
		out[f.GetName()] = ds
	}
	return out, nil
}
