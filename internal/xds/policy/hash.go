package policy

import (
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// HashPolicy is the route hash policy for a consistentHash load balancer,
// or nil when p does not hash. Envoy takes the hash key from the route, not
// the cluster, so the route builder calls this with the effective policy
// of the destination (Effective for its subset and port). It never returns
// a policy Envoy would reject; Apply reports why one was left out.
func HashPolicy(p *networkingv1.TrafficPolicy) []*routev3.RouteAction_HashPolicy {
	if p == nil || p.LoadBalancer == nil || p.LoadBalancer.ConsistentHash == nil {
		return nil
	}
	hp := hashPolicy(p.LoadBalancer.ConsistentHash)
	if hp == nil || hp.ValidateAll() != nil {
		return nil
	}
	return []*routev3.RouteAction_HashPolicy{hp}
}

// hashPolicy maps the one key the CRD allows; the first set wins if
// offline input sets several. Nil when none is set.
func hashPolicy(ch *networkingv1.ConsistentHashLB) *routev3.RouteAction_HashPolicy {
	switch {
	case ch.HTTPHeaderName != "":
		return &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_Header_{
			Header: &routev3.RouteAction_HashPolicy_Header{HeaderName: ch.HTTPHeaderName},
		}}
	case ch.HTTPCookie != nil:
		return &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_Cookie_{
			Cookie: cookie(ch.HTTPCookie),
		}}
	case ch.UseSourceIP:
		return &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_ConnectionProperties_{
			ConnectionProperties: &routev3.RouteAction_HashPolicy_ConnectionProperties{SourceIp: true},
		}}
	case ch.HTTPQueryParameterName != "":
		return &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_QueryParameter_{
			QueryParameter: &routev3.RouteAction_HashPolicy_QueryParameter{Name: ch.HTTPQueryParameterName},
		}}
	}
	return nil
}

// cookie hashes on a cookie. With a ttl Envoy sets the cookie when the
// request has none, so the next request sticks; a ttl of 0s makes it a
// session cookie. An invalid ttl is dropped (Apply reports it), which
// keeps affinity for clients that already send the cookie.
func cookie(c *networkingv1.HTTPCookie) *routev3.RouteAction_HashPolicy_Cookie {
	out := &routev3.RouteAction_HashPolicy_Cookie{Name: c.Name, Path: c.Path}
	if c.TTL != nil {
		if d, err := parseDuration(string(*c.TTL), 0); err == nil {
			out.Ttl = durationpb.New(d)
		}
	}
	for _, a := range c.Attributes {
		out.Attributes = append(out.Attributes, &routev3.RouteAction_HashPolicy_CookieAttribute{Name: a.Name, Value: a.Value})
	}
	return out
}
