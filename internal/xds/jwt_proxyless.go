package xds

import (
	"fmt"

	"github.com/sailplane/sailplane/internal/model"
)

// reportProxylessJWT names, in status, the RequestAuthentications whose
// rules proxyless gRPC workloads of the proxy's namespace do not enforce:
// gRPC's xDS support has no jwt_authn filter, so tokens on requests to
// them are never checked. Only the policies without a selector are
// reported here: they apply to every pod of the namespace, so the report
// does not depend on which pod's labels the (shared) translation used.
func (g *generator) reportProxylessJWT() {
	seen := map[model.ObjectRef]bool{}
	for _, r := range g.m.JWTRulesFor(g.proxy.Namespace, nil) {
		ref := raObject(r)
		if seen[ref] {
			continue
		}
		seen[ref] = true
		g.problem(ref, "jwtRules", fmt.Sprintf("not enforced for proxyless gRPC workloads in namespace %s: gRPC has no jwt_authn filter, so their requests' tokens are not checked", g.proxy.Namespace))
	}
}
