package translate

import (
	"fmt"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	rlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ratelimit/v3"

	"github.com/sailplane/sailplane/internal/names"
)

// globalLimits describe one provider's ratelimit filter: where it asks
// and what happens when the service fails, then per rule the requests
// it counts and the descriptor Envoy sends for them.
func globalLimits(provider string, cfg *rlv3.RateLimit) []string {
	failure := "allowed"
	if cfg.GetFailureModeDeny() {
		failure = "refused"
	}
	status := uint32(429)
	if c := uint32(cfg.GetRateLimitedStatus().GetCode()); c >= 400 {
		status = c
	}
	out := []string{fmt.Sprintf("global provider %s: domain %q, service cluster %s, timeout %s, requests %s when it fails; refused with %d",
		provider, cfg.GetDomain(), cfg.GetRateLimitService().GetGrpcService().GetEnvoyGrpc().GetClusterName(), cfg.GetTimeout().AsDuration(), failure, status)}
	var order []string
	conds := map[string][]string{}
	entries := map[string]string{}
	for _, rl := range cfg.GetRateLimits() {
		rule, cond, descriptor := globalAction(rl.GetActions())
		if _, seen := conds[rule]; !seen {
			order = append(order, rule)
		}
		conds[rule] = append(conds[rule], cond)
		entries[rule] = descriptor
	}
	for _, rule := range order {
		out = append(out, fmt.Sprintf("global rule %s (%s): sends {%s}", rule, strings.Join(conds[rule], " or "), entries[rule]))
	}
	return out
}

// globalAction reads one rate_limits entry: the rule its sailplane_rule
// entry names, the requests it selects and the descriptor it produces.
func globalAction(actions []*routev3.RateLimit_Action) (rule, cond, descriptor string) {
	cond = "every request"
	var parts []string
	for _, a := range actions {
		switch {
		case a.GetGenericKey() != nil:
			rule = a.GetGenericKey().GetDescriptorValue()
			parts = append(parts, a.GetGenericKey().GetDescriptorKey()+": "+rule)
		case a.GetHeaderValueMatch() != nil:
			m := a.GetHeaderValueMatch()
			rule = m.GetDescriptorValue()
			var cs []string
			for _, h := range m.GetHeaders() {
				cs = append(cs, headerText(h))
			}
			cond = strings.Join(cs, " and ")
			parts = append(parts, m.GetDescriptorKey()+": "+rule)
		case a.GetRequestHeaders() != nil:
			parts = append(parts, a.GetRequestHeaders().GetDescriptorKey()+": <"+a.GetRequestHeaders().GetHeaderName()+">")
		}
	}
	if rule == "" {
		rule = "(no " + names.RateLimitRuleKey + ")"
	}
	return rule, cond, strings.Join(parts, ", ")
}
