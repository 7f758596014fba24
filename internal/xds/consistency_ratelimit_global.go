package xds

import (
	"fmt"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	rlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ratelimit/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/sailplane/sailplane/internal/names"
)

// globalRateLimitRefs reports a ratelimit filter Envoy would refuse or
// that could not work: an invalid proto, a rate limit service cluster
// that is not in the resources or does not speak HTTP/2 (gRPC), and a
// filter with no rate_limits action (it would never ask the service).
func globalRateLimitRefs(l *listenerv3.Listener, clusters map[string]*clusterv3.Cluster) []error {
	var errs []error
	for _, fc := range chainsOf(l) {
		for _, f := range fc.GetFilters() {
			if f.Name != names.HTTPConnectionManagerFilter {
				continue
			}
			var h hcmv3.HttpConnectionManager
			if f.GetTypedConfig().UnmarshalTo(&h) != nil {
				continue // listenerRefs reports it
			}
			for _, hf := range h.HttpFilters {
				if strings.HasPrefix(hf.Name, names.RateLimitFilter+".") {
					errs = append(errs, globalFilterErrors(fmt.Sprintf("listener %s chain %q: %s", l.Name, fc.Name, hf.Name), hf, clusters)...)
				}
			}
		}
	}
	return errs
}

func globalFilterErrors(where string, hf *hcmv3.HttpFilter, clusters map[string]*clusterv3.Cluster) []error {
	var cfg rlv3.RateLimit
	if err := hf.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
		return []error{fmt.Errorf("%s: %v", where, err)}
	}
	errs := validated(where, &cfg)
	name := cfg.GetRateLimitService().GetGrpcService().GetEnvoyGrpc().GetClusterName()
	switch c := clusters[name]; {
	case c == nil:
		errs = append(errs, fmt.Errorf("%s: rate limit service cluster %q missing", where, name))
	case c.GetTypedExtensionProtocolOptions()["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"] == nil:
		errs = append(errs, fmt.Errorf("%s: rate limit service cluster %q is not HTTP/2 (gRPC needs it)", where, name))
	}
	if len(cfg.RateLimits) == 0 {
		errs = append(errs, fmt.Errorf("%s: no rate_limits action: no request is ever counted", where))
	}
	for i, rl := range cfg.RateLimits {
		if !producesRuleKey(rl.GetActions()) {
			errs = append(errs, fmt.Errorf("%s: rate_limits[%d] produces no %s entry", where, i, names.RateLimitRuleKey))
		}
	}
	return errs
}

// producesRuleKey says the actions put the rule's name in the descriptor.
func producesRuleKey(actions []*routev3.RateLimit_Action) bool {
	for _, a := range actions {
		if a.GetGenericKey().GetDescriptorKey() == names.RateLimitRuleKey || a.GetHeaderValueMatch().GetDescriptorKey() == names.RateLimitRuleKey {
			return true
		}
	}
	return false
}
