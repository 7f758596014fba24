package names

import (
	"fmt"
	"strconv"
	"strings"
)

// NetworkRBACFilter is the L4 RBAC filter of TCP filter chains.
const NetworkRBACFilter = "envoy.filters.network.rbac"

// AuthzHTTPFilter and AuthzNetworkFilter name the RBAC filter of one
// action ("allow", "deny", "audit"): a connection manager holds up to
// three, and grpc-go refuses two HTTP filters of one name.
func AuthzHTTPFilter(action string) string { return RBACFilter + "." + action }

// AuthzNetworkFilter is AuthzHTTPFilter for network filters.
func AuthzNetworkFilter(action string) string { return NetworkRBACFilter + "." + action }

// RBACStatPrefix prefixes the network RBAC filter's stats, as Istio's.
const RBACStatPrefix = "tcp."

// AuthzPolicy names the RBAC policy of one AuthorizationPolicy rule, as
// Istio names it: ns[<namespace>]-policy[<name>]-rule[<index>].
func AuthzPolicy(namespace, name string, rule int) string {
	return fmt.Sprintf("ns[%s]-policy[%s]-rule[%d]", namespace, name, rule)
}

// ParseAuthzPolicy reads an RBAC policy name back into the
// AuthorizationPolicy and rule it came from (namespaces and names cannot
// hold brackets, so the split is unambiguous).
func ParseAuthzPolicy(policy string) (namespace, name string, rule int, ok bool) {
	rest, ok := strings.CutPrefix(policy, "ns[")
	if !ok {
		return "", "", 0, false
	}
	namespace, rest, ok = strings.Cut(rest, "]-policy[")
	if !ok {
		return "", "", 0, false
	}
	name, rest, ok = strings.Cut(rest, "]-rule[")
	if !ok {
		return "", "", 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(rest, "]"))
	if err != nil || !strings.HasSuffix(rest, "]") {
		return "", "", 0, false
	}
	return namespace, name, n, true
}
