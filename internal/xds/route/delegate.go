package route

import (
	"fmt"
	"regexp"
	"strings"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// Delegation, and what sailplane does with it:
//
//   - Each rule of the delegate becomes routes in place of the delegating
//     rule, in the delegate's order. One level only.
//   - Conditions: every (parent match, child match) pair becomes one route
//     whose conditions are the child's AND the parent's. Headers, query
//     parameters, method, authority and scheme are ANDed as separate Envoy
//     matchers, which is exact. sourceLabels, sourceNamespace, port and
//     gateways must hold for both (the parent's match gateways, or the root
//     VirtualService's; the child's only if it names some).
//   - The path is one Envoy matcher, so the child's uri must be at least as
//     specific as the parent's: within a parent prefix, equal to a parent
//     exact, fully matched by a parent regex (for a child exact), or the
//     very same regex. A pair that fails is reported on the child's match
//     and skipped; the other pairs still apply.
//   - Rule-level fields the child leaves unset (rewrite, timeout, retries,
//     fault, mirror*, corsPolicy, headers) are taken from the parent, as
//     Istio does; the route name is "<parent>-<child>".
//   - Short host and gateway names in the delegate resolve in the
//     delegate's namespace; its own spec.gateways and hosts are ignored.

// delegated resolves a delegating rule into the delegate's rules.
func (b *builder) delegated(at loc, parent networkingv1.HTTPRoute) []rule {
	dat := at.field("delegate")
	if b.p.Delegate == nil {
		b.errs.add(dat, "delegation is not available here")
		return nil
	}
	ref := *parent.Delegate
	if ref.Namespace == "" {
		ref.Namespace = b.p.VS.Namespace
	}
	childVS, childRules, err := b.p.Delegate(ref)
	if err != nil {
		b.errs.add(dat, "%v", err)
		return nil
	}
	parentConds := b.matchConds(at, parent.Match, b.vsGateways)
	var out []rule
	for k, cr := range childRules {
		cat := loc{obj: childVS}.field("http").index(k)
		if cr.Delegate != nil {
			b.errs.add(cat.field("delegate"), "delegate chains deeper than one level are not supported")
			continue
		}
		r := rule{own: cat, parent: at}
		r.spec, r.inherited = inherit(parent, cr)
		r.conds = b.pairConds(parentConds, b.matchConds(cat, cr.Match, nil), at)
		if len(r.conds) == 0 {
			// Reported already; still translate the action for its errors.
			b.template(&r)
			continue
		}
		out = append(out, r)
	}
	return out
}

// pairConds combines every parent condition with every child condition
// whose uri is compatible.
func (b *builder) pairConds(parents, children []cond, parentAt loc) [][]cond {
	var out [][]cond
	for _, c := range children {
		matched := false
		for _, p := range parents {
			if uriCovers(&p.m, &c.m) {
				out = append(out, []cond{p, c})
				matched = true
			}
		}
		if !matched && len(parents) > 0 {
			b.errs.add(c.at, "uri is not within the uri of any match of %s %s %s; match ignored",
				KindVirtualService, parentAt.obj, parentAt.path)
		}
	}
	return out
}

// uriCovers says whether every path the child's uri accepts is accepted by
// the parent's, so that the child's path matcher alone implements both.
func uriCovers(parent, child *networkingv1.HTTPMatchRequest) bool {
	pk, ck := kindOf(parent.URI), kindOf(child.URI)
	if pk == kindNone || ck == kindNone {
		// No parent condition: anything goes. No child condition: the
		// parent's uri is the one used.
		return pk == kindNone || ck == kindNone
	}
	// A case-sensitive parent cannot contain a case-insensitive child.
	if child.IgnoreURICase && !parent.IgnoreURICase {
		return false
	}
	eq := func(a, b string) bool { return a == b || (parent.IgnoreURICase && strings.EqualFold(a, b)) }
	hasPrefix := func(s, p string) bool { return len(s) >= len(p) && eq(s[:len(p)], p) }
	pu, cu := parent.URI, child.URI
	switch {
	case pk == kindExact:
		return ck == kindExact && eq(*cu.Exact, *pu.Exact)
	case pk == kindPrefix && (ck == kindExact || ck == kindPrefix):
		return hasPrefix(valueOf(cu), *pu.Prefix)
	case pk == kindRegex && ck == kindRegex:
		return *cu.Regex == *pu.Regex
	case pk == kindRegex && ck == kindExact:
		return fullMatch(*pu.Regex, *cu.Exact, parent.IgnoreURICase)
	}
	return false
}

func valueOf(s *networkingv1.StringMatch) string {
	switch kindOf(s) {
	case kindExact:
		return *s.Exact
	case kindPrefix:
		return *s.Prefix
	case kindRegex:
		return *s.Regex
	}
	return ""
}

// fullMatch matches like Envoy's safe_regex: against the whole string.
func fullMatch(re, s string, ignoreCase bool) bool {
	flags := ""
	if ignoreCase {
		flags = "(?i)"
	}
	rx, err := regexp.Compile(fmt.Sprintf("%s^(?:%s)$", flags, re))
	return err == nil && rx.MatchString(s)
}

// inherit gives the child rule the parent's rule-level fields it leaves
// unset, and records which, so their errors are reported on the parent.
func inherit(parent, child networkingv1.HTTPRoute) (networkingv1.HTTPRoute, map[string]bool) {
	out := child
	inh := map[string]bool{}
	switch {
	case out.Name == "":
		out.Name = parent.Name
	case parent.Name != "":
		out.Name = parent.Name + "-" + child.Name
	}
	fill(&out.Rewrite, parent.Rewrite, "rewrite", inh)
	fill(&out.Timeout, parent.Timeout, "timeout", inh)
	fill(&out.Retries, parent.Retries, "retries", inh)
	fill(&out.Fault, parent.Fault, "fault", inh)
	fill(&out.Mirror, parent.Mirror, "mirror", inh)
	fill(&out.MirrorPercent, parent.MirrorPercent, "mirror_percent", inh)
	fill(&out.MirrorPercentage, parent.MirrorPercentage, "mirrorPercentage", inh)
	fill(&out.CorsPolicy, parent.CorsPolicy, "corsPolicy", inh)
	fill(&out.Headers, parent.Headers, "headers", inh)
	if out.Mirrors == nil && parent.Mirrors != nil {
		out.Mirrors = parent.Mirrors
		inh["mirrors"] = true
	}
	return out, inh
}

func fill[T any](dst **T, src *T, field string, inh map[string]bool) {
	if *dst == nil && src != nil {
		*dst = src
		inh[field] = true
	}
}
