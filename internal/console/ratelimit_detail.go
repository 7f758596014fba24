package console

import (
	"fmt"

	"github.com/sailplane/sailplane/internal/model"
)

// rateLimitFields are the detail lines of the RateLimitPolicy that applies
// to a workload: which policy, each local bucket and each rule counted by a
// rate limit service, what a refusal answers, and whether it only counts.
// None when no policy applies.
func rateLimitFields(m *model.Model, p *model.Workload) []Field {
	rl := m.RateLimitFor(p.Ref.Namespace, p.Labels, nil)
	if rl == nil {
		return nil
	}
	mode := fmt.Sprintf("refused with %d", rl.Status)
	if rl.DryRun {
		mode = "dry run: counted, never refused"
	}
	out := []Field{{"rate limit", "RateLimitPolicy " + rl.Ref.String() + ", " + mode}}
	for _, r := range rl.Rules {
		out = append(out, Field{"rate limit rule " + r.Name, fmt.Sprintf("%d requests per %s, burst %d, %s",
			r.TokensPerFill, r.FillInterval, r.MaxTokens, matchText(r.Match != nil))})
	}
	for _, r := range rl.GlobalRules {
		out = append(out, Field{"rate limit rule " + r.Name, fmt.Sprintf("counted by rate limit service %s (domain %s), %s",
			r.Provider.Name, r.Provider.Domain, matchText(r.Match != nil))})
	}
	return out
}

func matchText(matched bool) string {
	if matched {
		return "for the requests its match selects"
	}
	return "for every request"
}
