package translate

import (
	"fmt"
	"strings"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	lrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	rlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ratelimit/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	netlrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/local_ratelimit/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// RateLimitReport renders a proxy's effective rate limits: the policy
// that applies, then every filter chain that limits, with its buckets as
// the generated config holds them (read back from the local_ratelimit
// and ratelimit filters, not from the policy). What `sailctl x translate --show
// ratelimit` prints.
func RateLimitReport(r *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "proxy %s (%s)\n", r.Proxy.Workload.Ref, r.Proxy.Type)
	p := xds.RateLimitFor(r.Model, r.Proxy)
	if p == nil {
		b.WriteString("no RateLimitPolicy applies\n")
		return b.String()
	}
	fmt.Fprintf(&b, "policy: RateLimitPolicy %s", p.Ref)
	if p.DryRun {
		b.WriteString(" (dry run: counted, never refused)")
	}
	b.WriteString("\n")
	limited := false
	for _, l := range r.Resources.Listeners {
		for _, fc := range l.FilterChains {
			if lines := chainLimits(fc); len(lines) > 0 {
				limited = true
				fmt.Fprintf(&b, "listener %s chain %s:\n", l.Name, fc.Name)
				for _, line := range lines {
					b.WriteString("  " + line + "\n")
				}
				if fc.TransportSocket == nil && strings.Contains(strings.Join(lines, "\n"), "peer (") {
					b.WriteString("  (plain text: no peer certificate, so the rules on the caller never match here)\n")
				}
			}
		}
	}
	if !limited {
		b.WriteString("no listener of this proxy is limited\n")
	}
	return b.String()
}

func chainLimits(fc *listenerv3.FilterChain) []string {
	var out []string
	for _, f := range fc.Filters {
		switch f.Name {
		case names.LocalRateLimitNetworkFilter:
			var cfg netlrlv3.LocalRateLimit
			if f.GetTypedConfig().UnmarshalTo(&cfg) == nil {
				out = append(out, "connections: "+bucketText(cfg.TokenBucket))
			}
		case names.HTTPConnectionManagerFilter:
			var h hcmv3.HttpConnectionManager
			if f.GetTypedConfig().UnmarshalTo(&h) != nil {
				continue
			}
			for _, hf := range h.HttpFilters {
				var cfg lrlv3.LocalRateLimit
				var global rlv3.RateLimit
				switch {
				case hf.Name == names.LocalRateLimitFilter && hf.GetTypedConfig().UnmarshalTo(&cfg) == nil:
					out = append(out, httpLimits(&cfg)...)
				case strings.HasPrefix(hf.Name, names.RateLimitFilter+".") && hf.GetTypedConfig().UnmarshalTo(&global) == nil:
					out = append(out, globalLimits(strings.TrimPrefix(hf.Name, names.RateLimitFilter+"."), &global)...)
				}
			}
		}
	}
	return out
}

func httpLimits(cfg *lrlv3.LocalRateLimit) []string {
	refusal := fmt.Sprintf("; refused with %d", cfg.GetStatus().GetCode())
	if cfg.GetStatus() == nil {
		refusal = "; refused with 429"
	}
	var out []string
	if cfg.TokenBucket != nil {
		out = append(out, "every request: "+bucketText(cfg.TokenBucket)+refusal)
	}
	for _, d := range cfg.Descriptors {
		var value string
		for _, e := range d.Entries {
			if e.Key == names.RateLimitRuleKey {
				value = e.Value
			}
		}
		out = append(out, fmt.Sprintf("rule %s (%s): %s%s", value, matchText(cfg.RateLimits, value), bucketText(d.TokenBucket), refusal))
	}
	return out
}

// matchText describes the requests the rate_limits actions producing a
// rule's descriptor select; alternatives are joined by "or".
func matchText(rls []*routev3.RateLimit, rule string) string {
	var alts []string
	for _, rl := range rls {
		for _, a := range rl.Actions {
			m := a.GetHeaderValueMatch()
			if m == nil || m.DescriptorKey != names.RateLimitRuleKey || m.DescriptorValue != rule {
				continue
			}
			var conds []string
			for _, h := range m.Headers {
				conds = append(conds, headerText(h))
			}
			alts = append(alts, strings.Join(conds, " and "))
		}
	}
	return strings.Join(alts, " or ")
}

func headerText(h *routev3.HeaderMatcher) string {
	text := conditionText(h)
	if h.InvertMatch {
		return "not " + text
	}
	return text
}

func conditionText(h *routev3.HeaderMatcher) string {
	name := h.Name
	if name == names.ForwardedClientCertHeader {
		// match.from: the peer's element ends the header.
		name = "peer (" + name + ")"
		if h.GetPresentMatch() {
			return "any mutual TLS peer"
		}
	}
	if h.GetPresentMatch() {
		return name + " present"
	}
	sm := h.GetStringMatch()
	switch {
	case sm.GetExact() != "":
		return fmt.Sprintf("%s = %q", name, sm.GetExact())
	case sm.GetPrefix() != "":
		return fmt.Sprintf("%s starts with %q", name, sm.GetPrefix())
	case sm.GetSuffix() != "":
		return fmt.Sprintf("%s ends with %q", name, sm.GetSuffix())
	case sm.GetSafeRegex() != nil:
		return fmt.Sprintf("%s matches %q", name, sm.GetSafeRegex().GetRegex())
	}
	return name
}

func bucketText(tb *typev3.TokenBucket) string {
	per := uint32(1)
	if tb.GetTokensPerFill() != nil {
		per = tb.GetTokensPerFill().GetValue()
	}
	return fmt.Sprintf("burst %d, +%d every %s", tb.GetMaxTokens(), per, tb.GetFillInterval().AsDuration())
}
