package route

import (
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// headerOps is Istio's headers field in Envoy's terms, for a route or for
// one weighted cluster.
type headerOps struct {
	reqAdd     []*corev3.HeaderValueOption
	reqRemove  []string
	respAdd    []*corev3.HeaderValueOption
	respRemove []string
	// host is a request `set` of host or :authority. Envoy refuses to
	// modify those headers directly; a host rewrite does the same thing.
	host string
}

// headerOps translates set (overwrite) and add (append) in key order, set
// before add so both may name the same header.
func (b *builder) headerOps(at loc, h *networkingv1.Headers) headerOps {
	var ops headerOps
	if h == nil {
		return ops
	}
	ops.reqAdd, ops.reqRemove, ops.host = b.headerOperations(at.field("request"), h.Request, true)
	ops.respAdd, ops.respRemove, _ = b.headerOperations(at.field("response"), h.Response, false)
	return ops
}

func (b *builder) headerOperations(at loc, in *networkingv1.HeaderOperations, request bool) (add []*corev3.HeaderValueOption, remove []string, host string) {
	if in == nil {
		return nil, nil, ""
	}
	for _, k := range sortedKeys(in.Set) {
		if request && isHostHeader(k) {
			host = in.Set[k]
			continue
		}
		if b.modifiable(at.field("set").key(k), k) {
			add = append(add, headerValue(k, in.Set[k], corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD))
		}
	}
	for _, k := range sortedKeys(in.Add) {
		if b.modifiable(at.field("add").key(k), k) {
			add = append(add, headerValue(k, in.Add[k], corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD))
		}
	}
	for i, k := range in.Remove {
		if b.modifiable(at.field("remove").index(i), k) {
			remove = append(remove, k)
		}
	}
	return add, remove, host
}

// modifiable reports headers Envoy refuses to manipulate (pseudo-headers
// and host): Envoy would reject the whole route configuration for them.
func (b *builder) modifiable(at loc, name string) bool {
	if strings.HasPrefix(name, ":") || strings.EqualFold(name, "host") {
		b.errs.add(at, "header %q cannot be modified; ignored", name)
		return false
	}
	return true
}

func isHostHeader(name string) bool {
	return strings.EqualFold(name, "host") || strings.EqualFold(name, ":authority")
}

func headerValue(k, v string, action corev3.HeaderValueOption_HeaderAppendAction) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: k, Value: v}, AppendAction: action}
}

// applyToRoute appends the ops to the route's own lists; rule-level ops are
// applied first, then a single destination's.
func (o headerOps) applyToRoute(rt *routev3.Route) {
	rt.RequestHeadersToAdd = append(rt.RequestHeadersToAdd, o.reqAdd...)
	rt.RequestHeadersToRemove = append(rt.RequestHeadersToRemove, o.reqRemove...)
	rt.ResponseHeadersToAdd = append(rt.ResponseHeadersToAdd, o.respAdd...)
	rt.ResponseHeadersToRemove = append(rt.ResponseHeadersToRemove, o.respRemove...)
}

// applyToCluster puts a destination's ops on its weighted cluster, so they
// only apply to the requests sent there.
func (o headerOps) applyToCluster(cw *routev3.WeightedCluster_ClusterWeight) {
	cw.RequestHeadersToAdd = o.reqAdd
	cw.RequestHeadersToRemove = o.reqRemove
	cw.ResponseHeadersToAdd = o.respAdd
	cw.ResponseHeadersToRemove = o.respRemove
	if o.host != "" {
		cw.HostRewriteSpecifier = &routev3.WeightedCluster_ClusterWeight_HostRewriteLiteral{HostRewriteLiteral: o.host}
	}
}

// applyHostRewrite turns a `set` of the host header into a host rewrite.
// rewrite.authority, the dedicated field, wins; then the single
// destination's set; then the rule's.
func (b *builder) applyHostRewrite(r *rule, rt *routev3.Route, ruleHost, destHost string) {
	host := destHost
	if host == "" {
		host = ruleHost
	}
	if host == "" {
		return
	}
	act := rt.GetRoute()
	if act == nil {
		b.errs.add(r.at("headers").field("request").field("set"), "the host header can only be set on a route to a destination; ignored")
		return
	}
	if act.HostRewriteSpecifier == nil {
		act.HostRewriteSpecifier = &routev3.RouteAction_HostRewriteLiteral{HostRewriteLiteral: host}
	}
}
