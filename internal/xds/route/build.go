package route

import (
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// Proxy is the proxy the routes are built for; matches on sourceLabels,
// sourceNamespace and gateways are decided against it.
type Proxy struct {
	Namespace string
	Labels    map[string]string
	// Gateways the proxy counts as: ["mesh"] for sidecars, "ns/name" for
	// gateway proxies.
	Gateways []string
}

// Params is one VirtualService's http section as one proxy sees it on one port.
type Params struct {
	// VS is the VirtualService, for error messages and to qualify short
	// gateway and delegate names.
	VS   types.NamespacedName
	HTTP []networkingv1.HTTPRoute
	// VSGateways is the VirtualService's spec.gateways; empty means [mesh].
	// Short names are qualified with VS.Namespace.
	VSGateways []string
	// Port is the listener/service port; a match whose port is another
	// value does not apply. 0 means any.
	Port  uint32
	Proxy Proxy
	// ClusterFor names the cluster of a destination written in the
	// VirtualService owner (short hosts resolve in owner's namespace, and a
	// delegate's destinations are owned by the delegate). An error becomes
	// a FieldError; the destination is dropped, unless a cluster name comes
	// with the error: then the destination stays, pointing at that cluster
	// (Istio's behaviour for a host not in the registry: its requests fail
	// with 503, and no other route takes them).
	ClusterFor func(owner types.NamespacedName, d networkingv1.Destination) (string, error)
	// Delegate resolves a delegate VirtualService; the namespace is already
	// defaulted to VS.Namespace. May be nil when delegation is not possible.
	Delegate func(d networkingv1.Delegate) (types.NamespacedName, []networkingv1.HTTPRoute, error)
	// HashPolicy returns the consistent-hash policy of the destination's
	// DestinationRule, or nil. Optional.
	HashPolicy func(owner types.NamespacedName, d networkingv1.Destination) []*routev3.RouteAction_HashPolicy
}

// Build turns the http rules into Envoy routes, in rule order, one route
// per match. Whatever cannot be translated is left out and reported; the
// rest still comes out, so one bad rule never hides the others.
func Build(p Params) ([]*routev3.Route, []FieldError) {
	b := &builder{p: p, vsGateways: qualifyGateways(p.VS.Namespace, p.VSGateways)}
	if len(b.vsGateways) == 0 {
		b.vsGateways = []string{meshGateway}
	}
	var out []*routev3.Route
	for i := range p.HTTP {
		at := loc{obj: p.VS}.field("http").index(i)
		var rules []rule
		if p.HTTP[i].Delegate != nil {
			rules = b.delegated(at, p.HTTP[i])
		} else {
			rules = b.plain(at, p.HTTP[i])
		}
		for j := range rules {
			out = append(out, b.routes(&rules[j])...)
		}
	}
	return out, b.errs.list
}

type builder struct {
	p          Params
	vsGateways []string
	errs       errorList
}

// rule is one http rule ready to translate: its spec (for a delegated rule,
// the child's fields with the parent's as defaults), the ANDed conditions of
// each Envoy route it becomes, and where each field came from.
type rule struct {
	spec networkingv1.HTTPRoute
	// conds holds one entry per Envoy route; each entry's conditions are
	// ANDed (one for a plain rule, parent and child for a delegated one).
	conds [][]cond
	own   loc
	// parent and inherited say which rule-level fields came from the
	// delegating rule, so their errors name the parent's object.
	parent    loc
	inherited map[string]bool
}

// at is the location of a rule-level field, in whichever object wrote it.
func (r *rule) at(field string) loc {
	if r.inherited[field] {
		return r.parent.field(field)
	}
	return r.own.field(field)
}

// plain prepares a rule of the VirtualService itself.
func (b *builder) plain(at loc, in networkingv1.HTTPRoute) []rule {
	conds := b.matchConds(at, in.Match, b.vsGateways)
	r := rule{spec: in, own: at}
	for _, c := range conds {
		r.conds = append(r.conds, []cond{c})
	}
	if len(conds) == 0 {
		// Every match was invalid. The action is still translated so its
		// errors are reported whatever the matches' state.
		b.template(&r)
		return nil
	}
	return []rule{r}
}

// routes emits one route per applicable condition set. The action is
// translated once per rule (so its errors are reported once) and copied;
// the last condition set takes the template itself, so a rule with one
// match (most rules) copies nothing.
func (b *builder) routes(r *rule) []*routev3.Route {
	tmpl, ok := b.template(r)
	if !ok {
		return nil
	}
	var out []*routev3.Route
	for j, cs := range r.conds {
		if !b.applies(cs) {
			continue
		}
		rt := tmpl
		if j < len(r.conds)-1 {
			rt = proto.Clone(tmpl).(*routev3.Route)
		}
		rt.Name = routeName(r.spec.Name, cs)
		rt.Match = routeMatch(cs)
		rt.StatPrefix = statPrefix(cs)
		if act := rt.GetRoute(); act != nil && r.spec.Rewrite != nil && r.spec.Rewrite.URI != "" {
			rewriteURI(act, r.spec.Rewrite.URI, uriCond(cs))
		}
		if err := rt.ValidateAll(); err != nil {
			b.errs.add(cs[len(cs)-1].at, "route rejected by Envoy validation: %v", err)
			continue
		}
		out = append(out, rt)
	}
	return out
}

// template builds everything of a rule's routes except name, match and the
// match-dependent uri rewrite. ok is false when the rule cannot be routed.
func (b *builder) template(r *rule) (*routev3.Route, bool) {
	rt := &routev3.Route{}
	var destOps headerOps
	switch s := &r.spec; {
	case s.Redirect != nil:
		a, ok := b.redirect(r.own.field("redirect"), s.Redirect)
		if !ok {
			return nil, false
		}
		rt.Action = a
	case s.DirectResponse != nil:
		rt.Action = directResponse(s.DirectResponse)
	case len(s.Route) > 0:
		act, ops, ok := b.routeAction(r)
		if !ok {
			return nil, false
		}
		rt.Action = &routev3.Route_Route{Route: act}
		destOps = ops
	default:
		b.errs.add(r.own, "one of route, redirect or directResponse is required")
		return nil, false
	}
	ruleOps := b.headerOps(r.at("headers"), r.spec.Headers)
	ruleOps.applyToRoute(rt)
	destOps.applyToRoute(rt)
	b.applyHostRewrite(r, rt, ruleOps.host, destOps.host)
	b.addFault(r, rt)
	b.addCORS(r, rt)
	return rt, true
}
