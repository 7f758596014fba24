package model

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"

	policyv1alpha1 "github.com/sailplane/sailplane/api/policy/v1alpha1"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/re2size"
)

// RateLimit is a RateLimitPolicy as the translation reads it: the rules
// it can apply, with defaults filled in.
type RateLimit struct {
	Ref types.NamespacedName
	// Rules are the local token buckets, GlobalRules the rules counted by
	// a rate limit service (a rule with both is in both lists).
	Rules       []RateLimitRule
	GlobalRules []GlobalRateLimitRule
	// Status is the refusal's HTTP status; ResponseHeaders are added to
	// it, sorted by name.
	Status          uint32
	ResponseHeaders []Header
	LimitHeaders    bool
	DryRun          bool
}

// Header is one response header.
type Header struct{ Name, Value string }

// RateLimitRule is one token bucket and the requests it counts (all of
// them when Match is nil).
type RateLimitRule struct {
	// Index is the rule's place in spec.rules, for status.
	Index         int
	Name          string
	Match         *policyv1alpha1.RateLimitMatch
	MaxTokens     uint32
	TokensPerFill uint32
	FillInterval  time.Duration
}

// RateLimitRef is the status key of a RateLimitPolicy.
func RateLimitRef(ref types.NamespacedName) ObjectRef {
	return ObjectRef{Kind: "RateLimitPolicy", NamespacedName: ref}
}

// RateLimits are the usable RateLimitPolicies by scope, as Telemetry's:
// mesh (root namespace, no target), namespace (no target), and those
// with a target, per namespace, oldest first.
type RateLimits struct {
	mesh          *RateLimit
	namespace     map[string]*RateLimit
	targeted      map[string][]targetedRateLimit
	rootNamespace string
}

// targetedRateLimit selects pods by labels, or gateway proxies by the
// Gateway ("namespace/name") they serve.
type targetedRateLimit struct {
	policy   *RateLimit
	selector map[string]string
	gateway  string
}

// RateLimitFor returns the policy that applies to a proxy of the
// namespace with the labels, serving the gateways ("namespace/name"):
// the oldest targeting it, else its namespace's, else the mesh's; nil
// when none does.
func (m *Model) RateLimitFor(namespace string, labels map[string]string, gateways []string) *RateLimit {
	p := m.RateLimits
	if p == nil {
		return nil
	}
	for _, t := range p.targeted[namespace] {
		if t.gateway == "" && SelectsLabels(t.selector, labels) {
			return t.policy
		}
	}
	for _, gw := range gateways {
		ns, _, _ := strings.Cut(gw, "/")
		for _, t := range p.targeted[ns] {
			if t.gateway == gw {
				return t.policy
			}
		}
	}
	if r := p.namespace[namespace]; r != nil && namespace != p.rootNamespace {
		return r
	}
	return p.mesh
}

// addRateLimits indexes the RateLimitPolicies, oldest first, and reports
// what sailplane cannot apply. A policy whose every rule is unusable
// still claims its scope (it is reported; the proxies it selects get no
// limits rather than a less specific policy's).
func (m *Model) addRateLimits(b *bundle.Bundle) {
	list := append([]policyv1alpha1.RateLimitPolicy(nil), b.RateLimitPolicies...)
	sort.SliceStable(list, func(i, j int) bool {
		a, c := list[i], list[j]
		if !a.CreationTimestamp.Equal(&c.CreationTimestamp) {
			return a.CreationTimestamp.Before(&c.CreationTimestamp)
		}
		if a.Namespace != c.Namespace {
			return a.Namespace < c.Namespace
		}
		return a.Name < c.Name
	})
	root := m.Mesh.RootNamespace()
	p := &RateLimits{namespace: map[string]*RateLimit{}, targeted: map[string][]targetedRateLimit{}, rootNamespace: root}
	for i := range list {
		obj := &list[i]
		r := m.readRateLimit(obj)
		ref := RateLimitRef(r.Ref)
		switch {
		case obj.Spec.TargetRef != nil:
			if t, ok := m.rateLimitTarget(b, ref, obj); ok {
				t.policy = r
				p.targeted[obj.Namespace] = append(p.targeted[obj.Namespace], t)
			}
		case obj.Spec.Selector != nil && len(obj.Spec.Selector.MatchLabels) > 0:
			p.targeted[obj.Namespace] = append(p.targeted[obj.Namespace], targetedRateLimit{policy: r, selector: selectorLabels(obj.Spec.Selector)})
		case obj.Namespace == root && p.mesh == nil:
			p.mesh = r
		case obj.Namespace == root:
			m.Status.Add(ref, "", "RateLimitPolicy %s is the mesh-wide one (oldest in root namespace %s without target); this one is ignored", p.mesh.Ref, root)
		case p.namespace[obj.Namespace] == nil:
			p.namespace[obj.Namespace] = r
		default:
			m.Status.Add(ref, "", "RateLimitPolicy %s is the namespace-wide one (the oldest without target); this one is ignored", p.namespace[obj.Namespace].Ref)
		}
	}
	m.RateLimits = p
}

// rateLimitTarget resolves a targetRef: a Service selects its pods, a
// Gateway the gateway proxies serving it.
func (m *Model) rateLimitTarget(b *bundle.Bundle, ref ObjectRef, obj *policyv1alpha1.RateLimitPolicy) (targetedRateLimit, bool) {
	tr := obj.Spec.TargetRef
	switch tr.Kind {
	case "Service":
		for i := range b.Services {
			s := &b.Services[i]
			if s.Namespace == obj.Namespace && s.Name == tr.Name {
				if len(s.Spec.Selector) == 0 {
					m.Status.Add(ref, "spec.targetRef", "Service %s/%s has no selector: the policy applies to no pod", obj.Namespace, tr.Name)
					return targetedRateLimit{}, false
				}
				return targetedRateLimit{selector: s.Spec.Selector}, true
			}
		}
		m.Status.Add(ref, "spec.targetRef.name", "Service %s/%s not found: the policy applies to no pod", obj.Namespace, tr.Name)
	case "Gateway":
		for _, gw := range m.Gateways {
			if gw.Namespace == obj.Namespace && gw.Name == tr.Name {
				return targetedRateLimit{gateway: gw.Namespace + "/" + gw.Name}, true
			}
		}
		m.Status.Add(ref, "spec.targetRef.name", "Gateway %s/%s not found: the policy applies to no gateway", obj.Namespace, tr.Name)
	default:
		m.Status.Add(ref, "spec.targetRef.kind", "kind %q is not supported (Service or Gateway)", tr.Kind)
	}
	return targetedRateLimit{}, false
}

// readRateLimit fills in defaults and keeps the rules sailplane can
// apply; each one it cannot is reported and left out (a partial rule
// would limit traffic the policy did not name).
func (m *Model) readRateLimit(obj *policyv1alpha1.RateLimitPolicy) *RateLimit {
	r := &RateLimit{
		Ref:    types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name},
		Status: defaults.RateLimitStatus, LimitHeaders: obj.Spec.LimitHeaders, DryRun: obj.Spec.DryRun,
	}
	ref := RateLimitRef(r.Ref)
	m.Status.Seen(ref)
	if resp := obj.Spec.Response; resp != nil {
		if resp.Status != nil {
			if s := *resp.Status; s < 400 || s > 599 {
				m.Status.Add(ref, "spec.response.status", "%d is not an HTTP error status (400-599); %d is used", s, defaults.RateLimitStatus)
			} else {
				r.Status = uint32(s)
			}
		}
		for k, v := range resp.Headers {
			r.ResponseHeaders = append(r.ResponseHeaders, Header{Name: k, Value: v})
		}
		sort.Slice(r.ResponseHeaders, func(i, j int) bool { return r.ResponseHeaders[i].Name < r.ResponseHeaders[j].Name })
	}
	seen := map[string]bool{}
	unmatched := false
	for i, rule := range obj.Spec.Rules {
		field := fmt.Sprintf("spec.rules[%d]", i)
		reason := rateLimitRuleProblem(rule, seen, unmatched)
		if reason == "" && rule.Global != nil {
			reason = m.globalRuleProblem(rule.Global)
		}
		if reason != "" {
			m.Status.Add(ref, field, "%s; the rule is not applied", reason)
			continue
		}
		seen[rule.Name] = true
		if rule.Local != nil {
			unmatched = unmatched || rule.Match == nil
			r.Rules = append(r.Rules, readRateLimitRule(i, rule))
		}
		if rule.Global != nil {
			r.GlobalRules = append(r.GlobalRules, m.readGlobalRule(i, rule))
		}
	}
	r.Rules = m.dropUnalignedRules(ref, r.Rules)
	return r
}

// dropUnalignedRules reports and leaves out the matched rules whose fill
// interval is not a multiple of the unmatched rule's: Envoy refuses such
// descriptors (it refills them on the filter bucket's timer).
func (m *Model) dropUnalignedRules(ref ObjectRef, rules []RateLimitRule) []RateLimitRule {
	var base time.Duration
	for _, r := range rules {
		if r.Match == nil {
			base = r.FillInterval
		}
	}
	if base == 0 {
		return rules
	}
	var out []RateLimitRule
	for _, r := range rules {
		if r.Match != nil && r.FillInterval%base != 0 {
			m.Status.Add(ref, fmt.Sprintf("spec.rules[%d]", r.Index), "local.fillInterval: %s is not a multiple of the fillInterval of the rule without match (%s), as Envoy requires; the rule is not applied", r.FillInterval, base)
			continue
		}
		out = append(out, r)
	}
	return out
}

func readRateLimitRule(i int, rule policyv1alpha1.RateLimitRule) RateLimitRule {
	out := RateLimitRule{
		Index: i, Name: rule.Name, Match: rule.Match, MaxTokens: rule.Local.MaxTokens,
		TokensPerFill: defaults.RateLimitTokensPerFill, FillInterval: rule.Local.FillInterval.Duration,
	}
	if rule.Local.TokensPerFill != nil {
		out.TokensPerFill = *rule.Local.TokensPerFill
	}
	return out
}

// rateLimitRuleProblem says why a rule cannot be applied ("" when it
// can). The CRD's validation refuses most of these at apply time; files
// given to sailctl reach here unvalidated.
func rateLimitRuleProblem(rule policyv1alpha1.RateLimitRule, seen map[string]bool, unmatched bool) string {
	switch {
	case rule.Name == "":
		return "name: must be set"
	case seen[rule.Name]:
		return fmt.Sprintf("name: %q is used by an earlier rule", rule.Name)
	case rule.Local == nil && rule.Global == nil:
		return "a rule needs local, global or both"
	case rule.Match != nil:
		if reason := rateLimitMatchProblem(rule.Match); reason != "" {
			return reason
		}
	}
	if rule.Local == nil {
		return ""
	}
	return localRuleProblem(rule, unmatched)
}

// localRuleProblem checks a rule's local token bucket.
func localRuleProblem(rule policyv1alpha1.RateLimitRule, unmatched bool) string {
	l := rule.Local
	switch {
	case l.MaxTokens == 0:
		return "local.maxTokens: must be at least 1"
	case l.TokensPerFill != nil && *l.TokensPerFill == 0:
		return "local.tokensPerFill: must be at least 1"
	case l.TokensPerFill != nil && *l.TokensPerFill > l.MaxTokens:
		return fmt.Sprintf("local.maxTokens: the burst (%d) is below tokensPerFill (%d)", l.MaxTokens, *l.TokensPerFill)
	case l.FillInterval.Duration < defaults.RateLimitMinFillInterval:
		return fmt.Sprintf("local.fillInterval: %s is below Envoy's minimum of %s", l.FillInterval.Duration, defaults.RateLimitMinFillInterval)
	case rule.Match == nil && unmatched:
		return "match: only one local rule may count every request"
	}
	return ""
}

func rateLimitMatchProblem(mt *policyv1alpha1.RateLimitMatch) string {
	if mt.From != nil {
		if reason := fromProblem(mt.From); reason != "" {
			return reason
		}
	}
	if p := mt.Path; p != nil && (p.Exact == nil) == (p.Prefix == nil) {
		return "match.path: exactly one of exact or prefix must be set"
	}
	if mt.Path == nil && mt.Method == "" && len(mt.Headers) == 0 && mt.From == nil {
		return "match: empty; leave it out to count every request"
	}
	for name, h := range mt.Headers {
		n := 0
		for _, set := range []bool{h.Exact != nil, h.Prefix != nil, h.Regex != nil} {
			if set {
				n++
			}
		}
		if n > 1 {
			return fmt.Sprintf("match.headers[%s]: only one of exact, prefix or regex may be set", name)
		}
		if h.Regex != nil {
			if err := re2size.Check(*h.Regex, defaults.EnvoyRegexMaxProgramSize); err != nil {
				return fmt.Sprintf("match.headers[%s].regex: refused by Envoy: %v", name, err)
			}
		}
	}
	return ""
}
