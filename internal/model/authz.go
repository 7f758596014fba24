package model

import (
	"sort"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	"github.com/sailplane/sailplane/internal/bundle"
)

// AuthorizationPolicy is an AuthorizationPolicy as the translation reads
// it: its scope, its action and its rules, each rule checked.
type AuthorizationPolicy struct {
	Ref types.NamespacedName
	// Selector is nil for a namespace-wide (or, in the root namespace,
	// mesh-wide) policy.
	Selector labels.Selector
	// Action is ALLOW, DENY, AUDIT or CUSTOM (securityv1.Authz*).
	Action string
	Rules  []securityv1.AuthorizationRule
	// Broken marks the rules that cannot be used as written (offline
	// manifests never met the CRD's validation): an ALLOW or AUDIT policy
	// drops them, a DENY or CUSTOM policy denies every request for them,
	// so a bad rule never allows more than its author meant.
	Broken map[int]bool
}

// AuthzPolicies holds the AuthorizationPolicies by namespace, each list
// sorted by name.
type AuthzPolicies struct {
	byNamespace map[string][]*AuthorizationPolicy
}

func apRef(ref types.NamespacedName) ObjectRef {
	return ObjectRef{Kind: "AuthorizationPolicy", NamespacedName: ref}
}

// AuthzRef is how status names an AuthorizationPolicy.
func AuthzRef(ref types.NamespacedName) ObjectRef { return apRef(ref) }

func (m *Model) addAuthorizationPolicies(b *bundle.Bundle) {
	m.Authz = &AuthzPolicies{byNamespace: map[string][]*AuthorizationPolicy{}}
	for i := range b.AuthorizationPolicies {
		ap := &b.AuthorizationPolicies[i]
		if p := m.readAuthorizationPolicy(ap); p != nil {
			m.Authz.byNamespace[ap.Namespace] = append(m.Authz.byNamespace[ap.Namespace], p)
		}
	}
	for _, list := range m.Authz.byNamespace {
		sort.Slice(list, func(i, j int) bool { return list[i].Ref.Name < list[j].Ref.Name })
	}
}

// readAuthorizationPolicy keeps what of the policy applies to sidecars and
// gateways; nil for a policy that applies to none.
func (m *Model) readAuthorizationPolicy(ap *securityv1.AuthorizationPolicy) *AuthorizationPolicy {
	ref := types.NamespacedName{Namespace: ap.Namespace, Name: ap.Name}
	m.Status.Seen(apRef(ref))
	spec := &ap.Spec
	if spec.TargetRef != nil || len(spec.TargetRefs) > 0 {
		field := "targetRefs"
		if spec.TargetRef != nil {
			field = "targetRef"
		}
		m.Status.Add(apRef(ref), field, "a policy attached by %s applies to waypoints and Gateway API gateways, which sailplane does not serve; it applies to no sidecar or gateway (as in Istio)", field)
		return nil
	}
	p := &AuthorizationPolicy{Ref: ref, Action: spec.Action, Rules: spec.Rules}
	if p.Action == "" {
		p.Action = securityv1.AuthzAllow
	}
	if sel := spec.Selector; sel != nil && len(sel.MatchLabels) > 0 {
		set := labels.Set{}
		for k, v := range sel.MatchLabels {
			set[k] = string(v)
		}
		p.Selector = labels.SelectorFromSet(set)
	}
	m.checkAuthzAction(p, spec)
	p.Broken = m.checkAuthzRules(p)
	return p
}

// checkAuthzAction reports what the CRD's validation refuses about the
// action and provider, and CUSTOM, which has no provider to go to yet.
func (m *Model) checkAuthzAction(p *AuthorizationPolicy, spec *securityv1.AuthorizationPolicySpec) {
	ref := apRef(p.Ref)
	switch p.Action {
	case securityv1.AuthzAllow, securityv1.AuthzDeny, securityv1.AuthzAudit:
		if spec.Provider != nil {
			m.Status.Add(ref, "provider", "provider must be set with action CUSTOM and only with it; ignored")
		}
	case securityv1.AuthzCustom:
		name := ""
		if spec.Provider != nil {
			name = spec.Provider.Name
		}
		m.Status.Add(ref, "provider.name", "CUSTOM needs ext_authz extension provider %q from the mesh configuration, which sailplane cannot configure yet; the requests its rules match are denied instead (as Istio does for an unknown provider)", name)
	default:
		m.Status.Add(ref, "action", "unknown action %q; the policy denies every request to its workloads instead", p.Action)
		p.Action = securityv1.AuthzDeny
		p.Rules = []securityv1.AuthorizationRule{{}}
	}
}

// AuthorizationPoliciesFor are the policies that apply to a workload:
// those of the root namespace (mesh-wide, or selecting it in any
// namespace) and those of its own namespace that select it or none, in
// namespace and name order.
func (m *Model) AuthorizationPoliciesFor(namespace string, podLabels map[string]string) []*AuthorizationPolicy {
	if m.Authz == nil {
		return nil
	}
	var out []*AuthorizationPolicy
	scopes := []string{m.RootNamespace()}
	if namespace != m.RootNamespace() {
		scopes = append(scopes, namespace)
	}
	sort.Strings(scopes)
	for _, ns := range scopes {
		for _, p := range m.Authz.byNamespace[ns] {
			if p.Selector == nil || p.Selector.Matches(labels.Set(podLabels)) {
				out = append(out, p)
			}
		}
	}
	return out
}
