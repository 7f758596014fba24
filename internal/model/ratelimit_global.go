package model

import (
	"fmt"

	policyv1alpha1 "github.com/sailplane/sailplane/api/policy/v1alpha1"
	"github.com/sailplane/sailplane/internal/meshconfig"
)

// GlobalRateLimitRule is a rule counted by a rate limit service: Envoy
// asks the provider about every request the match selects (all of them
// when Match is nil).
type GlobalRateLimitRule struct {
	// Index is the rule's place in spec.rules, for status.
	Index    int
	Name     string
	Match    *policyv1alpha1.RateLimitMatch
	Provider meshconfig.RateLimitProvider
}

// globalRuleProblem says why a rule's global part cannot be applied: its
// provider is not in the mesh configuration ("" when it is).
func (m *Model) globalRuleProblem(g *policyv1alpha1.GlobalLimit) string {
	if m.Mesh.RateLimitProvider(g.Provider) != nil {
		return ""
	}
	return fmt.Sprintf("global.provider: no rate limit provider %q in ConfigMap %s key %q (rateLimitProviders)", g.Provider, meshconfig.ConfigMapName, meshconfig.ExtensionsKey)
}

func (m *Model) readGlobalRule(i int, rule policyv1alpha1.RateLimitRule) GlobalRateLimitRule {
	return GlobalRateLimitRule{Index: i, Name: rule.Name, Match: rule.Match, Provider: *m.Mesh.RateLimitProvider(rule.Global.Provider)}
}
