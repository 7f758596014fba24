package xds

import (
	"strings"

	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	"github.com/sailplane/sailplane/internal/model"
)

// operation is a rule's to.operation: every field set must match, any
// value of a field may.
func (b *ruleBuilder) operation(field string, o *securityv1.AuthorizationOperation) *rbacv3.Permission {
	if o == nil {
		return anyRule
	}
	var rules []*rbacv3.Permission
	add := func(name string, vals []string, need need, negate bool, one func(string) *rbacv3.Permission) {
		if len(vals) == 0 || !b.usable(field+"."+name, need) {
			return
		}
		var or []*rbacv3.Permission
		for _, v := range vals {
			or = append(or, one(v))
		}
		if negate {
			rules = append(rules, notRule(orRules(or)))
			return
		}
		rules = append(rules, orRules(or))
	}
	add("hosts", strs(o.Hosts), needHTTP, false, hostRule)
	add("notHosts", strs(o.NotHosts), needHTTP, true, hostRule)
	add("ports", strs(o.Ports), needL4, false, portRule)
	add("notPorts", strs(o.NotPorts), needL4, true, portRule)
	add("methods", strs(o.Methods), needHTTP, false, methodRule)
	add("notMethods", strs(o.NotMethods), needHTTP, true, methodRule)
	add("paths", strs(o.Paths), needHTTP, false, pathRule)
	add("notPaths", strs(o.NotPaths), needHTTP, true, pathRule)
	return andRules(rules)
}

func headerRule(h *routev3.HeaderMatcher) *rbacv3.Permission {
	return &rbacv3.Permission{Rule: &rbacv3.Permission_Header{Header: h}}
}

// hostRule matches the request's authority, case-insensitively as Istio.
func hostRule(v string) *rbacv3.Permission { return headerRule(headerMatch(":authority", v, true)) }

func methodRule(v string) *rbacv3.Permission { return headerRule(headerMatch(":method", v, false)) }

// pathRule matches the path without its query (url_path).
func pathRule(v string) *rbacv3.Permission {
	return &rbacv3.Permission{Rule: &rbacv3.Permission_UrlPath{UrlPath: &matcherv3.PathMatcher{
		Rule: &matcherv3.PathMatcher_Path{Path: istioString(v, "", false)},
	}}}
}

func portRule(v string) *rbacv3.Permission {
	n, _ := model.PortNumber(v) // the model checked it
	return &rbacv3.Permission{Rule: &rbacv3.Permission_DestinationPort{DestinationPort: n}}
}

func destinationIPRule(v string) *rbacv3.Permission {
	return &rbacv3.Permission{Rule: &rbacv3.Permission_DestinationIp{DestinationIp: cidr(v)}}
}

func sniRule(v string) *rbacv3.Permission {
	return &rbacv3.Permission{Rule: &rbacv3.Permission_RequestedServerName{RequestedServerName: istioString(v, "", false)}}
}

// condition adds a when condition to the rule's principals (source.*,
// request.auth.*) or permissions (request.headers, destination.*,
// connection.sni, experimental.*), as Istio places them; values OR,
// notValues must all miss, and the condition ANDs with the rest.
func (b *ruleBuilder) condition(field string, c securityv1.AuthorizationCondition, ids *[]*rbacv3.Principal, rules *[]*rbacv3.Permission) {
	key := c.Key
	if id := principalCondition(key); id != nil {
		if !b.usable(field, conditionNeed(key)) {
			return
		}
		*ids = append(*ids, negated(c, id, orIDs, notID)...)
		return
	}
	one := permissionCondition(key)
	if one == nil || !b.usable(field, conditionNeed(key)) {
		return // the model refused an unknown key, and broke the rule
	}
	*rules = append(*rules, negated(c, one, orRules, notRule)...)
}

// negated is the values (OR) and notValues (none of) part of a condition.
func negated[T any](c securityv1.AuthorizationCondition, one func(string) T, or func([]T) T, not func(T) T) []T {
	var out []T
	build := func(vals []string) T {
		var list []T
		for _, v := range vals {
			list = append(list, one(v))
		}
		return or(list)
	}
	if len(c.Values) > 0 {
		out = append(out, build(strs(c.Values)))
	}
	if len(c.NotValues) > 0 {
		out = append(out, not(build(strs(c.NotValues))))
	}
	return out
}

func principalCondition(key string) func(string) *rbacv3.Principal {
	switch {
	case key == "source.ip":
		return directRemoteIP
	case key == "remote.ip":
		return remoteIP
	case key == "source.namespace":
		return peerNamespace
	case key == "source.principal":
		return peerPrincipal
	case strings.HasPrefix(key, "request.auth."):
		return func(v string) *rbacv3.Principal {
			id, _ := jwtClaimID(key, v)
			return id
		}
	}
	return nil
}

func permissionCondition(key string) func(string) *rbacv3.Permission {
	switch {
	case strings.HasPrefix(key, "request.headers["):
		name := strings.TrimSuffix(strings.TrimPrefix(key, "request.headers["), "]")
		return func(v string) *rbacv3.Permission { return headerRule(headerMatch(strings.ToLower(name), v, false)) }
	case key == "destination.ip":
		return destinationIPRule
	case key == "destination.port":
		return portRule
	case key == "connection.sni":
		return sniRule
	case strings.HasPrefix(key, "experimental.envoy.filters."):
		filter, path := experimentalKey(key)
		return func(v string) *rbacv3.Permission {
			return &rbacv3.Permission{Rule: &rbacv3.Permission_Metadata{Metadata: metadataValue(filter, path, v)}}
		}
	}
	return nil
}

// experimentalKey reads experimental.envoy.filters.<filter>[a][b] (a
// filter's dynamic metadata, as Istio reads it) into the filter's name and
// the path.
func experimentalKey(key string) (filter string, path []string) {
	rest := strings.TrimPrefix(key, "experimental.")
	filter, keys, ok := strings.Cut(rest, "[")
	if !ok {
		return filter, nil
	}
	return filter, claimPath("[" + keys)
}

// conditionNeed is what a condition key asks of the filter applying it.
func conditionNeed(key string) need {
	switch {
	case strings.HasPrefix(key, "request.auth."):
		return needJWT
	case strings.HasPrefix(key, "request.headers["):
		if h := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(key, "request.headers["), "]")); strings.HasPrefix(h, "grpc-") || h == ":scheme" {
			return needHTTP | needEnvoyHeader
		}
		return needHTTP
	case strings.HasPrefix(key, "experimental."):
		return needMetadata
	case key == "connection.sni":
		return needSNI
	}
	return needL4
}
