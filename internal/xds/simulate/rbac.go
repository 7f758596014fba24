package simulate

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/structpb"
)

// AuthzRequest is what Envoy's RBAC filters see of a connection or a
// request.
type AuthzRequest struct {
	// Principal is the URI SAN of the peer certificate the mesh root
	// validated ("spiffe://..."); empty without mutual TLS.
	Principal string
	// SourceIP is the peer's address (direct_remote_ip); RemoteIP the
	// original client's (X-Forwarded-For as trusted), SourceIP if empty.
	SourceIP, RemoteIP string
	DestinationIP      string
	Port               uint32
	SNI                string
	// HTTP says it is a request (an HTTP filter sees it); a TCP
	// connection has no method, path, host or headers.
	HTTP    bool
	Method  string
	Path    string // may carry a query, which url_path ignores
	Host    string
	Headers map[string]string
	// Metadata is the dynamic metadata earlier filters left, by filter
	// name (jwt_authn's verified payload under "payload").
	Metadata map[string]*structpb.Struct
}

// AuthzDecision is what a row of RBAC filters decided.
type AuthzDecision struct {
	Allowed bool
	// Action is the action of the filter that decided: DENY when a DENY
	// policy matched, ALLOW when an ALLOW filter did (or refused for want
	// of a match); "" when no filter enforces anything.
	Action string
	// Policy is the RBAC policy that matched: the DENY policy that
	// denied, or the ALLOW policy that allowed; "" when an ALLOW filter
	// denied because none matched.
	Policy string
	// Logged are the policies of LOG (AUDIT) filters that matched.
	Logged []string
}

// EvalRBAC runs RBAC configurations in order, as Envoy's filters do: a
// DENY configuration stops a request one of its policies matches, an ALLOW
// configuration stops one none of its policies matches, LOG only records.
// Every filter must let the request through for it to pass.
func EvalRBAC(rules []*rbacv3.RBAC, req AuthzRequest) (AuthzDecision, error) {
	d := AuthzDecision{Allowed: true}
	for _, r := range rules {
		matched, err := firstMatch(r, req)
		if err != nil {
			return d, err
		}
		switch r.GetAction() {
		case rbacv3.RBAC_LOG:
			d.Logged = append(d.Logged, matched...)
		case rbacv3.RBAC_DENY:
			if len(matched) > 0 {
				return AuthzDecision{Action: "DENY", Policy: matched[0], Logged: d.Logged}, nil
			}
		case rbacv3.RBAC_ALLOW:
			if len(matched) == 0 {
				return AuthzDecision{Action: "ALLOW", Logged: d.Logged}, nil
			}
			d.Action, d.Policy = "ALLOW", matched[0]
		default:
			return d, fmt.Errorf("RBAC action %v not simulated", r.GetAction())
		}
	}
	return d, nil
}

// firstMatch lists the configuration's policies that match, by name.
func firstMatch(r *rbacv3.RBAC, req AuthzRequest) ([]string, error) {
	names := make([]string, 0, len(r.GetPolicies()))
	for n := range r.GetPolicies() {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		ok, err := policyMatches(r.GetPolicies()[n], req)
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", n, err)
		}
		if ok {
			out = append(out, n)
		}
	}
	return out, nil
}

// policyMatches: any permission and any principal (Envoy's semantics).
func policyMatches(p *rbacv3.Policy, req AuthzRequest) (bool, error) {
	if p.GetCondition() != nil || p.GetCelConfig() != nil {
		return false, fmt.Errorf("CEL conditions not simulated")
	}
	perm, err := anyOf(p.GetPermissions(), func(x *rbacv3.Permission) (bool, error) { return permissionMatches(x, req) })
	if err != nil || !perm {
		return false, err
	}
	return anyOf(p.GetPrincipals(), func(x *rbacv3.Principal) (bool, error) { return principalMatches(x, req) })
}

func anyOf[T any](list []T, f func(T) (bool, error)) (bool, error) {
	for _, x := range list {
		ok, err := f(x)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func allOf[T any](list []T, f func(T) (bool, error)) (bool, error) {
	for _, x := range list {
		ok, err := f(x)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func permissionMatches(p *rbacv3.Permission, req AuthzRequest) (bool, error) {
	rec := func(x *rbacv3.Permission) (bool, error) { return permissionMatches(x, req) }
	switch r := p.GetRule().(type) {
	case *rbacv3.Permission_Any:
		return r.Any, nil
	case *rbacv3.Permission_AndRules:
		return allOf(r.AndRules.GetRules(), rec)
	case *rbacv3.Permission_OrRules:
		return anyOf(r.OrRules.GetRules(), rec)
	case *rbacv3.Permission_NotRule:
		ok, err := rec(r.NotRule)
		return !ok, err
	case *rbacv3.Permission_Header:
		return rbacHeader(r.Header, req)
	case *rbacv3.Permission_UrlPath:
		if !req.HTTP {
			return false, nil
		}
		path, _, _ := strings.Cut(req.Path, "?")
		return stringMatches(r.UrlPath.GetPath(), path), nil
	case *rbacv3.Permission_DestinationPort:
		return req.Port == r.DestinationPort, nil
	case *rbacv3.Permission_DestinationIp:
		return inRange(r.DestinationIp, req.DestinationIP)
	case *rbacv3.Permission_RequestedServerName:
		return stringMatches(r.RequestedServerName, req.SNI), nil
	case *rbacv3.Permission_Metadata:
		return metadataMatches(r.Metadata, req)
	}
	return false, fmt.Errorf("permission %T not simulated", p.GetRule())
}

func principalMatches(p *rbacv3.Principal, req AuthzRequest) (bool, error) {
	rec := func(x *rbacv3.Principal) (bool, error) { return principalMatches(x, req) }
	switch id := p.GetIdentifier().(type) {
	case *rbacv3.Principal_Any:
		return id.Any, nil
	case *rbacv3.Principal_AndIds:
		return allOf(id.AndIds.GetIds(), rec)
	case *rbacv3.Principal_OrIds:
		return anyOf(id.OrIds.GetIds(), rec)
	case *rbacv3.Principal_NotId:
		ok, err := rec(id.NotId)
		return !ok, err
	case *rbacv3.Principal_Authenticated_:
		// No peer certificate: nothing is authenticated. Without a name
		// any authenticated peer matches.
		if req.Principal == "" {
			return false, nil
		}
		m := id.Authenticated.GetPrincipalName()
		return m == nil || stringMatches(m, req.Principal), nil
	case *rbacv3.Principal_DirectRemoteIp:
		return inRange(id.DirectRemoteIp, req.SourceIP)
	case *rbacv3.Principal_SourceIp:
		return inRange(id.SourceIp, req.SourceIP)
	case *rbacv3.Principal_RemoteIp:
		remote := req.RemoteIP
		if remote == "" {
			remote = req.SourceIP
		}
		return inRange(id.RemoteIp, remote)
	case *rbacv3.Principal_Header:
		return rbacHeader(id.Header, req)
	case *rbacv3.Principal_UrlPath:
		path, _, _ := strings.Cut(req.Path, "?")
		return req.HTTP && stringMatches(id.UrlPath.GetPath(), path), nil
	case *rbacv3.Principal_Metadata:
		return metadataMatches(id.Metadata, req)
	}
	return false, fmt.Errorf("principal %T not simulated", p.GetIdentifier())
}

// rbacHeader matches a header of the request; a TCP connection has none.
func rbacHeader(h *routev3.HeaderMatcher, req AuthzRequest) (bool, error) {
	if !req.HTTP {
		return false, nil
	}
	if h.GetInvertMatch() {
		return false, fmt.Errorf("inverted header matchers not simulated")
	}
	r := Request{Method: req.Method, Path: req.Path, Authority: req.Host, Headers: req.Headers}
	if strings.EqualFold(h.GetName(), "host") {
		h = &routev3.HeaderMatcher{Name: ":authority", HeaderMatchSpecifier: h.HeaderMatchSpecifier}
	}
	switch h.GetHeaderMatchSpecifier().(type) {
	case *routev3.HeaderMatcher_PresentMatch, *routev3.HeaderMatcher_StringMatch:
		return headerMatches(h, r), nil
	}
	return false, fmt.Errorf("header matcher %T not simulated", h.GetHeaderMatchSpecifier())
}

func inRange(c *corev3.CidrRange, addr string) (bool, error) {
	if addr == "" {
		return false, nil
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false, fmt.Errorf("address %q: %w", addr, err)
	}
	base, err := netip.ParseAddr(c.GetAddressPrefix())
	if err != nil {
		return false, fmt.Errorf("CIDR %q: %w", c.GetAddressPrefix(), err)
	}
	bits := int(c.GetPrefixLen().GetValue())
	p, err := base.Prefix(bits)
	if err != nil {
		return false, err
	}
	return p.Contains(a), nil
}

// metadataMatches follows the matcher's path into the filter's dynamic
// metadata; a missing key matches nothing (not even presence).
func metadataMatches(m *matcherv3.MetadataMatcher, req AuthzRequest) (bool, error) {
	st := req.Metadata[m.GetFilter()]
	if st == nil || len(m.GetPath()) == 0 {
		return m.GetInvert(), nil
	}
	v := structpb.NewStructValue(st)
	for _, seg := range m.GetPath() {
		next, ok := v.GetStructValue().GetFields()[seg.GetKey()]
		if !ok {
			return m.GetInvert(), nil
		}
		v = next
	}
	ok, err := valueMatches(m.GetValue(), v)
	return ok != m.GetInvert(), err
}

func valueMatches(vm *matcherv3.ValueMatcher, v *structpb.Value) (bool, error) {
	switch p := vm.GetMatchPattern().(type) {
	case *matcherv3.ValueMatcher_PresentMatch:
		return p.PresentMatch && v != nil, nil
	case *matcherv3.ValueMatcher_StringMatch:
		s, ok := v.GetKind().(*structpb.Value_StringValue)
		return ok && stringMatches(p.StringMatch, s.StringValue), nil
	case *matcherv3.ValueMatcher_BoolMatch:
		b, ok := v.GetKind().(*structpb.Value_BoolValue)
		return ok && b.BoolValue == p.BoolMatch, nil
	case *matcherv3.ValueMatcher_ListMatch:
		list, ok := v.GetKind().(*structpb.Value_ListValue)
		if !ok {
			return false, nil
		}
		return anyOf(list.ListValue.GetValues(), func(x *structpb.Value) (bool, error) {
			return valueMatches(p.ListMatch.GetOneOf(), x)
		})
	case *matcherv3.ValueMatcher_OrMatch:
		return anyOf(p.OrMatch.GetValueMatchers(), func(x *matcherv3.ValueMatcher) (bool, error) { return valueMatches(x, v) })
	}
	return false, fmt.Errorf("value matcher %T not simulated", vm.GetMatchPattern())
}
