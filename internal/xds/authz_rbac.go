package xds

import (
	"fmt"
	"sort"
	"strings"

	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	rbachttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// rbacTarget is what applies the generated RBAC.
type rbacTarget int

const (
	rbacHTTP rbacTarget = iota // Envoy's HTTP RBAC filter
	rbacTCP                    // Envoy's network RBAC filter: L4 fields only
	rbacGRPC                   // grpc-go's HTTP RBAC (gRFC A41)
)

func (t rbacTarget) String() string {
	switch t {
	case rbacTCP:
		return "a TCP port"
	case rbacGRPC:
		return "a proxyless gRPC server"
	}
	return "HTTP"
}

// need is what a field asks of the filter that applies it.
type need uint8

const (
	needL4          need = 0
	needHTTP        need = 1 << iota // a request: methods, paths, hosts, headers
	needMetadata                     // another filter's dynamic metadata
	needSNI                          // the TLS server name
	needEnvoyHeader                  // a header grpc-go refuses to match (grpc-*, :scheme)
	needJWT         = needHTTP | needMetadata
)

// ruleBuilder translates one rule of one policy for one target. A field
// the target cannot apply makes an ALLOW (or AUDIT) rule match nothing and
// is left out of a DENY rule, which then denies more, never less: Istio's
// handling of HTTP-only fields on TCP ports.
type ruleBuilder struct {
	target rbacTarget
	deny   bool
	// dropped says the rule matches nothing on this target; unusable
	// lists the fields that made it so or were left out.
	dropped  bool
	unusable []string
}

func (b *ruleBuilder) usable(field string, n need) bool {
	ok := true
	switch b.target {
	case rbacTCP:
		ok = n&needHTTP == 0
	case rbacGRPC:
		ok = n&(needMetadata|needSNI|needEnvoyHeader) == 0
	}
	if !ok {
		b.unusable = append(b.unusable, field)
		b.dropped = b.dropped || !b.deny
	}
	return ok
}

// policy is the RBAC policy of one rule: its sources (any) and when's
// principal conditions (all) as principals, its operations (any) and
// when's other conditions (all) as permissions. nil when it matches
// nothing on the target.
func (b *ruleBuilder) policy(r securityv1.AuthorizationRule) *rbacv3.Policy {
	var froms []*rbacv3.Principal
	for i, f := range r.From {
		froms = append(froms, b.source(fmt.Sprintf("from[%d].source", i), f.Source))
	}
	var tos []*rbacv3.Permission
	for i, t := range r.To {
		tos = append(tos, b.operation(fmt.Sprintf("to[%d].operation", i), t.Operation))
	}
	ids := []*rbacv3.Principal{orIDs(froms)}
	perms := []*rbacv3.Permission{orRules(tos)}
	for i, c := range r.When {
		b.condition(fmt.Sprintf("when[%d]", i), c, &ids, &perms)
	}
	if b.dropped {
		return nil
	}
	return &rbacv3.Policy{Permissions: []*rbacv3.Permission{andRules(perms)}, Principals: []*rbacv3.Principal{andIDs(ids)}}
}

// matchAll is the policy of a broken DENY rule: it denies every request.
func matchAll() *rbacv3.Policy {
	return &rbacv3.Policy{Permissions: []*rbacv3.Permission{anyRule}, Principals: []*rbacv3.Principal{anyID}}
}

// AuthzTarget is the workload (pod, or gateway pod) policies are
// translated for, and the port and kind of listener that applies them.
type AuthzTarget struct {
	Namespace string
	Labels    map[string]string
	Port      uint32 // the workload port; 0 for ports no service names
}

// authzRules are the RBAC configurations for a workload, in Istio's order:
// AUDIT (LOG, never denies), CUSTOM and DENY (one DENY configuration: with
// no ext_authz provider a CUSTOM policy's matches are denied), then ALLOW
// when any ALLOW policy applies (an ALLOW configuration with no policies
// denies everything). Nil when no policy applies.
func authzRules(m *model.Model, t AuthzTarget, target rbacTarget) ([]*rbacv3.RBAC, []ObjectProblem) {
	policies := m.AuthorizationPoliciesFor(t.Namespace, t.Labels)
	if len(policies) == 0 {
		return nil, nil
	}
	byAction := map[rbacv3.RBAC_Action]*rbacv3.RBAC{}
	var problems []ObjectProblem
	for _, p := range policies {
		action := rbacAction(p.Action)
		if action == rbacv3.RBAC_LOG && target == rbacGRPC {
			problems = append(problems, authzProblem(p, "action", "AUDIT is not applied by proxyless gRPC servers (grpc-go's RBAC has no LOG action); ignored there"))
			continue
		}
		rbac := byAction[action]
		if rbac == nil {
			rbac = &rbacv3.RBAC{Action: action, Policies: map[string]*rbacv3.Policy{}}
			byAction[action] = rbac
		}
		problems = append(problems, addPolicy(rbac, p, t, target)...)
	}
	var out []*rbacv3.RBAC
	for _, a := range []rbacv3.RBAC_Action{rbacv3.RBAC_LOG, rbacv3.RBAC_DENY, rbacv3.RBAC_ALLOW} {
		if r := byAction[a]; r != nil && (a == rbacv3.RBAC_ALLOW || len(r.Policies) > 0) {
			out = append(out, r)
		}
	}
	return out, problems
}

// actionName names a filter by its configuration's action.
func actionName(r *rbacv3.RBAC) string {
	switch r.GetAction() {
	case rbacv3.RBAC_DENY:
		return "deny"
	case rbacv3.RBAC_LOG:
		return "audit"
	}
	return "allow"
}

func rbacAction(action string) rbacv3.RBAC_Action {
	switch action {
	case securityv1.AuthzDeny, securityv1.AuthzCustom:
		return rbacv3.RBAC_DENY
	case securityv1.AuthzAudit:
		return rbacv3.RBAC_LOG
	}
	return rbacv3.RBAC_ALLOW
}

// addPolicy adds the policy's rules to rbac, reporting what the target
// cannot apply.
func addPolicy(rbac *rbacv3.RBAC, p *model.AuthorizationPolicy, t AuthzTarget, target rbacTarget) []ObjectProblem {
	var problems []ObjectProblem
	deny := rbac.Action == rbacv3.RBAC_DENY
	for i, r := range p.Rules {
		name := names.AuthzPolicy(p.Ref.Namespace, p.Ref.Name, i)
		if p.Broken[i] {
			if deny {
				rbac.Policies[name] = matchAll()
			}
			continue
		}
		b := &ruleBuilder{target: target, deny: deny}
		if pol := b.policy(r); pol != nil {
			rbac.Policies[name] = pol
		}
		if len(b.unusable) > 0 {
			problems = append(problems, authzProblem(p, fmt.Sprintf("rules[%d]", i), unusableReason(b, t)))
		}
	}
	return problems
}

func unusableReason(b *ruleBuilder, t AuthzTarget) string {
	sort.Strings(b.unusable)
	where := b.target.String()
	if b.target == rbacTCP {
		where = fmt.Sprintf("TCP port %d", t.Port)
	}
	if b.deny {
		return fmt.Sprintf("%s cannot be applied on %s: left out there, so the rule denies more", strings.Join(b.unusable, ", "), where)
	}
	return fmt.Sprintf("%s cannot be applied on %s: the rule is ignored there", strings.Join(b.unusable, ", "), where)
}

func authzProblem(p *model.AuthorizationPolicy, field, reason string) ObjectProblem {
	return ObjectProblem{Object: model.AuthzRef(p.Ref), Problem: model.Problem{Field: field, Reason: reason}}
}

// AuthzHTTPFilters are the RBAC HTTP filters a workload's inbound HTTP
// connection manager on the port puts before its other filters, for an
// Envoy sidecar or gateway or, with proxyless, an xDS-enabled gRPC server
// (gRFC A41: what grpc-go cannot apply is reported, and handled as a TCP
// port handles HTTP-only fields). Nil when no policy applies.
func AuthzHTTPFilters(m *model.Model, t AuthzTarget, proxyless bool) ([]*hcmv3.HttpFilter, []ObjectProblem) {
	target := rbacHTTP
	if proxyless {
		target = rbacGRPC
	}
	rules, problems := authzRules(m, t, target)
	var out []*hcmv3.HttpFilter
	for _, r := range rules {
		out = append(out, httpFilter(names.AuthzHTTPFilter(actionName(r)), &rbachttpv3.RBAC{Rules: r}))
	}
	return out, problems
}
