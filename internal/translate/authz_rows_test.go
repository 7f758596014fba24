package translate

import "testing"

// TestAuthzSimulation runs requests through the RBAC filters generated for
// the destination's sidecar and checks each outcome against Istio's
// documented AuthorizationPolicy semantics.
func TestAuthzSimulation(t *testing.T) {
	const d = "default"
	frontend := "frontend.default"
	shop := "goods.shop"
	google := map[string]any{"iss": "https://accounts.google.com", "sub": "u1"}
	httpbin := ap(d, "httpbin", `{selector: {matchLabels: {app: reviews}}, action: ALLOW, rules: [{from: [{source: {principals: ["cluster.local/ns/default/sa/frontend"]}}, {source: {namespaces: ["shop"]}}], to: [{operation: {methods: ["GET"]}}], when: [{key: "request.auth.claims[iss]", values: ["https://accounts.google.com"]}]}]}`)
	rows := []authzRow{
		// No policy, allow-nothing, deny-all, allow-all (Istio's docs).
		{"no policy allows", "", authzCall{from: frontend}, true, ""},
		{"allow-nothing denies", ap(d, "allow-nothing", `{}`), authzCall{from: frontend}, false, ""},
		{"allow-nothing denies plaintext", ap(d, "allow-nothing", `{}`), authzCall{}, false, ""},
		{"deny-all denies", ap(d, "deny-all", `{action: DENY, rules: [{}]}`), authzCall{from: frontend}, false, rule(d, "deny-all", 0)},
		{"deny without rules denies nothing", ap(d, "deny-none", `{action: DENY}`), authzCall{from: frontend}, true, ""},
		{"allow-all allows", ap(d, "allow-all", `{rules: [{}]}`), authzCall{}, true, rule(d, "allow-all", 0)},
		{"deny beats allow", ap(d, "allow-all", `{rules: [{}]}`) + ap(d, "deny-all", `{action: DENY, rules: [{}]}`), authzCall{}, false, rule(d, "deny-all", 0)},
		// Istio's httpbin example: GET from a principal or a namespace, with a Google token.
		{"httpbin: GET from frontend with a google token", httpbin, authzCall{from: frontend, jwt: google}, true, rule(d, "httpbin", 0)},
		{"httpbin: GET from shop with a google token", httpbin, authzCall{from: shop, jwt: google}, true, rule(d, "httpbin", 0)},
		{"httpbin: POST is not allowed", httpbin, authzCall{from: frontend, method: "POST", jwt: google}, false, ""},
		{"httpbin: no token", httpbin, authzCall{from: frontend}, false, ""},
		{"httpbin: another issuer", httpbin, authzCall{from: frontend, jwt: map[string]any{"iss": "https://evil", "sub": "u1"}}, false, ""},
		{"httpbin: another namespace", httpbin, authzCall{from: "x.other", jwt: google}, false, ""},
		{"httpbin: plaintext", httpbin, authzCall{jwt: google}, false, ""},
		// Require a JWT: requestPrincipals ["*"].
		{"require jwt: token", ap(d, "jwt", `{rules: [{from: [{source: {requestPrincipals: ["*"]}}]}]}`), authzCall{jwt: google}, true, rule(d, "jwt", 0)},
		{"require jwt: none", ap(d, "jwt", `{rules: [{from: [{source: {requestPrincipals: ["*"]}}]}]}`), authzCall{}, false, ""},
		{"deny without jwt", ap(d, "no-jwt", `{action: DENY, rules: [{from: [{source: {notRequestPrincipals: ["*"]}}]}]}`), authzCall{}, false, rule(d, "no-jwt", 0)},
		{"deny without jwt: token passes", ap(d, "no-jwt", `{action: DENY, rules: [{from: [{source: {notRequestPrincipals: ["*"]}}]}]}`), authzCall{jwt: google}, true, ""},
		// Request principals <iss>/<sub>, the issuer holding "/".
		{"request principal exact", ap(d, "rp", `{rules: [{from: [{source: {requestPrincipals: ["https://accounts.google.com/u1"]}}]}]}`), authzCall{jwt: google}, true, rule(d, "rp", 0)},
		{"request principal other subject", ap(d, "rp", `{rules: [{from: [{source: {requestPrincipals: ["https://accounts.google.com/u2"]}}]}]}`), authzCall{jwt: google}, false, ""},
		{"request principal issuer prefix", ap(d, "rp", `{rules: [{from: [{source: {requestPrincipals: ["https://accounts.google.com/*"]}}]}]}`), authzCall{jwt: google}, true, rule(d, "rp", 0)},
		{"request principal subject suffix", ap(d, "rp", `{rules: [{from: [{source: {requestPrincipals: ["*/u1"]}}]}]}`), authzCall{jwt: google}, true, rule(d, "rp", 0)},
		{"request principal split elsewhere", ap(d, "rp", `{rules: [{from: [{source: {requestPrincipals: ["https://accounts.google.com/u1"]}}]}]}`), authzCall{jwt: map[string]any{"iss": "https://accounts.google.com/u1", "sub": ""}}, false, ""},
		{"request.auth.principal condition", ap(d, "rp", `{rules: [{when: [{key: request.auth.principal, values: ["https://accounts.google.com/u1"]}]}]}`), authzCall{jwt: google}, true, rule(d, "rp", 0)},
		// Claims, audiences (list or string), presenter, nested claims.
		{"audience in a list", ap(d, "aud", `{rules: [{when: [{key: request.auth.audiences, values: ["b"]}]}]}`), authzCall{jwt: map[string]any{"iss": "i", "sub": "s", "aud": []any{"a", "b"}}}, true, rule(d, "aud", 0)},
		{"audience as a string", ap(d, "aud", `{rules: [{when: [{key: request.auth.audiences, values: ["b"]}]}]}`), authzCall{jwt: map[string]any{"iss": "i", "sub": "s", "aud": "b"}}, true, rule(d, "aud", 0)},
		{"audience missing", ap(d, "aud", `{rules: [{when: [{key: request.auth.audiences, values: ["b"]}]}]}`), authzCall{jwt: map[string]any{"iss": "i", "sub": "s", "aud": "c"}}, false, ""},
		{"presenter", ap(d, "azp", `{rules: [{when: [{key: request.auth.presenter, values: ["web"]}]}]}`), authzCall{jwt: map[string]any{"azp": "web"}}, true, rule(d, "azp", 0)},
		{"nested claim", ap(d, "nested", `{rules: [{when: [{key: "request.auth.claims[realm][role]", values: ["admin"]}]}]}`), authzCall{jwt: map[string]any{"realm": map[string]any{"role": []any{"user", "admin"}}}}, true, rule(d, "nested", 0)},
		{"group claim notValues", ap(d, "groups", `{action: DENY, rules: [{when: [{key: "request.auth.claims[groups]", notValues: ["staff"]}]}]}`), authzCall{jwt: map[string]any{"groups": []any{"guest"}}}, false, rule(d, "groups", 0)},
		// Deny by path (exact, prefix, suffix, presence; the query is not the path).
		{"deny path prefix", ap(d, "admin", `{action: DENY, rules: [{to: [{operation: {paths: ["/admin*"]}}]}]}`), authzCall{path: "/admin/users"}, false, rule(d, "admin", 0)},
		{"deny path prefix, with a query", ap(d, "admin", `{action: DENY, rules: [{to: [{operation: {paths: ["/admin*"]}}]}]}`), authzCall{path: "/admin?x=1"}, false, rule(d, "admin", 0)},
		{"deny path: the query is not the path", ap(d, "admin", `{action: DENY, rules: [{to: [{operation: {paths: ["/admin*"]}}]}]}`), authzCall{path: "/public?next=/admin"}, true, ""},
		{"allow path exact", ap(d, "exact", `{rules: [{to: [{operation: {paths: ["/ok"]}}]}]}`), authzCall{path: "/ok"}, true, rule(d, "exact", 0)},
		{"allow path exact, not a prefix", ap(d, "exact", `{rules: [{to: [{operation: {paths: ["/ok"]}}]}]}`), authzCall{path: "/ok/more"}, false, ""},
		{"allow path suffix", ap(d, "html", `{rules: [{to: [{operation: {paths: ["*.html"]}}]}]}`), authzCall{path: "/a/b.html"}, true, rule(d, "html", 0)},
		{"notPaths", ap(d, "np", `{rules: [{to: [{operation: {notPaths: ["/private*"]}}]}]}`), authzCall{path: "/private/x"}, false, ""},
		// Methods, hosts (case-insensitive), headers.
		{"notMethods", ap(d, "ro", `{action: DENY, rules: [{to: [{operation: {notMethods: ["GET", "HEAD"]}}]}]}`), authzCall{method: "DELETE"}, false, rule(d, "ro", 0)},
		{"notMethods lets GET through", ap(d, "ro", `{action: DENY, rules: [{to: [{operation: {notMethods: ["GET", "HEAD"]}}]}]}`), authzCall{}, true, ""},
		{"hosts ignore case", ap(d, "host", `{rules: [{to: [{operation: {hosts: ["Reviews.default.svc.cluster.local"]}}]}]}`), authzCall{host: "reviews.DEFAULT.svc.cluster.local"}, true, rule(d, "host", 0)},
		{"hosts suffix", ap(d, "host", `{rules: [{to: [{operation: {hosts: ["*.example.com"]}}]}]}`), authzCall{host: "api.example.com"}, true, rule(d, "host", 0)},
		{"notHosts", ap(d, "host", `{rules: [{to: [{operation: {notHosts: ["*.example.com"]}}]}]}`), authzCall{host: "api.example.com"}, false, ""},
		{"header condition", ap(d, "hdr", `{rules: [{when: [{key: "request.headers[X-Token]", values: ["secret"]}]}]}`), authzCall{headers: map[string]string{"x-token": "secret"}}, true, rule(d, "hdr", 0)},
		{"header condition, wrong value", ap(d, "hdr", `{rules: [{when: [{key: "request.headers[X-Token]", values: ["secret"]}]}]}`), authzCall{headers: map[string]string{"x-token": "guess"}}, false, ""},
		// Peers: principals, namespaces, their negations, IP blocks.
		{"principal", ap(d, "p", `{rules: [{from: [{source: {principals: ["cluster.local/ns/default/sa/frontend"]}}]}]}`), authzCall{from: frontend}, true, rule(d, "p", 0)},
		{"principal: another account", ap(d, "p", `{rules: [{from: [{source: {principals: ["cluster.local/ns/default/sa/frontend"]}}]}]}`), authzCall{from: "ratings.default"}, false, ""},
		{"principal prefix", ap(d, "p", `{rules: [{from: [{source: {principals: ["cluster.local/ns/shop/*"]}}]}]}`), authzCall{from: shop}, true, rule(d, "p", 0)},
		{"any principal needs mTLS", ap(d, "p", `{rules: [{from: [{source: {principals: ["*"]}}]}]}`), authzCall{}, false, ""},
		{"any principal with mTLS", ap(d, "p", `{rules: [{from: [{source: {principals: ["*"]}}]}]}`), authzCall{from: shop}, true, rule(d, "p", 0)},
		{"notPrincipals", ap(d, "np", `{action: DENY, rules: [{from: [{source: {notPrincipals: ["cluster.local/ns/default/sa/frontend"]}}]}]}`), authzCall{from: shop}, false, rule(d, "np", 0)},
		{"namespace", ap(d, "ns", `{rules: [{from: [{source: {namespaces: ["shop"]}}], to: [{operation: {methods: ["GET"]}}]}]}`), authzCall{from: shop}, true, rule(d, "ns", 0)},
		{"namespace: POST", ap(d, "ns", `{rules: [{from: [{source: {namespaces: ["shop"]}}], to: [{operation: {methods: ["GET"]}}]}]}`), authzCall{from: shop, method: "POST"}, false, ""},
		{"notNamespaces denies plaintext", ap(d, "nn", `{action: DENY, rules: [{from: [{source: {notNamespaces: ["default"]}}]}]}`), authzCall{}, false, rule(d, "nn", 0)},
		{"notNamespaces lets its own in", ap(d, "nn", `{action: DENY, rules: [{from: [{source: {notNamespaces: ["default"]}}]}]}`), authzCall{from: frontend}, true, ""},
		{"ip allow-list", ap(d, "ip", `{rules: [{from: [{source: {ipBlocks: ["1.2.3.4", "5.6.7.0/24"]}}]}]}`), authzCall{src: "5.6.7.8"}, true, rule(d, "ip", 0)},
		{"ip allow-list: outside", ap(d, "ip", `{rules: [{from: [{source: {ipBlocks: ["1.2.3.4", "5.6.7.0/24"]}}]}]}`), authzCall{src: "5.6.8.1"}, false, ""},
		{"notIpBlocks", ap(d, "ip", `{action: DENY, rules: [{from: [{source: {notIpBlocks: ["10.0.0.0/8"]}}]}]}`), authzCall{src: "192.168.1.1"}, false, rule(d, "ip", 0)},
		{"remoteIpBlocks", ap(d, "rip", `{rules: [{from: [{source: {remoteIpBlocks: ["10.0.0.0/24"]}}]}]}`), authzCall{src: "10.0.0.9"}, true, rule(d, "rip", 0)},
		{"source.ip and source.namespace conditions", ap(d, "c", `{rules: [{when: [{key: source.ip, values: ["10.0.0.0/24"]}, {key: source.namespace, values: ["shop"]}]}]}`), authzCall{from: shop}, true, rule(d, "c", 0)},
		{"source.principal condition", ap(d, "c", `{rules: [{when: [{key: source.principal, notValues: ["cluster.local/ns/shop/sa/goods"]}]}]}`), authzCall{from: shop}, false, ""},
		{"destination.port condition", ap(d, "c", `{rules: [{when: [{key: destination.port, values: ["9080"]}]}]}`), authzCall{}, true, rule(d, "c", 0)},
		// Ports and TCP: L4 fields only; HTTP-only fields drop ALLOW rules
		// and are left out of DENY rules.
		{"tcp port allowed", ap(d, "tcp", `{selector: {matchLabels: {app: echo}}, rules: [{to: [{operation: {ports: ["9090"]}}]}]}`), authzCall{proxy: "echo-v1.default", port: 9090, tcp: true, from: frontend}, true, rule(d, "tcp", 0)},
		{"tcp policy on the http port", ap(d, "tcp", `{selector: {matchLabels: {app: echo}}, rules: [{to: [{operation: {ports: ["9090"]}}]}]}`), authzCall{proxy: "echo-v1.default", port: 7070, from: frontend, method: "POST", path: "/echo.Echo/Echo"}, false, ""},
		{"tcp: ALLOW rule with methods is dropped", ap(d, "get", `{selector: {matchLabels: {app: echo}}, rules: [{to: [{operation: {methods: ["GET"]}}]}]}`), authzCall{proxy: "echo-v1.default", port: 9090, tcp: true, from: frontend}, false, ""},
		{"tcp: DENY rule with methods denies the port", ap(d, "deny-get", `{selector: {matchLabels: {app: echo}}, action: DENY, rules: [{to: [{operation: {methods: ["GET"], ports: ["9090"]}}]}]}`), authzCall{proxy: "echo-v1.default", port: 9090, tcp: true, from: frontend}, false, rule(d, "deny-get", 0)},
		{"tcp: that DENY rule spares other ports", ap(d, "deny-get", `{selector: {matchLabels: {app: echo}}, action: DENY, rules: [{to: [{operation: {methods: ["GET"], ports: ["9090"]}}]}]}`), authzCall{proxy: "echo-v1.default", port: 7070, from: frontend, method: "GET"}, true, ""},
		{"tcp: principals apply", ap(d, "tcp-p", `{selector: {matchLabels: {app: echo}}, rules: [{from: [{source: {principals: ["cluster.local/ns/shop/sa/goods"]}}]}]}`), authzCall{proxy: "echo-v1.default", port: 9090, tcp: true, from: frontend}, false, ""},
		{"unnamed port: policies apply there too", ap(d, "allow-nothing", `{}`), authzCall{port: 8443, tcp: true, from: frontend}, false, ""},
		// Scope: selector, namespace, mesh (root namespace).
		{"selector elsewhere", ap(d, "ratings-only", `{selector: {matchLabels: {app: ratings}}}`), authzCall{}, true, ""},
		{"selector here", ap(d, "reviews-only", `{selector: {matchLabels: {app: reviews, version: v1}}}`), authzCall{}, false, ""},
		{"another namespace's policy", ap("shop", "allow-nothing", `{}`), authzCall{}, true, ""},
		{"mesh-wide policy", ap("istio-system", "deny-shop", `{action: DENY, rules: [{from: [{source: {namespaces: ["shop"]}}]}]}`), authzCall{from: shop}, false, rule("istio-system", "deny-shop", 0)},
		{"mesh-wide selector", ap("istio-system", "deny-reviews", `{selector: {matchLabels: {app: reviews}}, action: DENY, rules: [{}]}`), authzCall{from: frontend}, false, rule("istio-system", "deny-reviews", 0)},
		{"targetRef applies to no sidecar", ap(d, "waypoint", `{targetRef: {kind: Service, group: "", name: reviews}}`), authzCall{}, true, ""},
		// AUDIT never denies; CUSTOM without a provider denies what it matches.
		{"audit does not deny", ap(d, "audit", `{action: AUDIT, rules: [{}]}`), authzCall{}, true, ""},
		{"custom denies its matches", ap(d, "ext", `{action: CUSTOM, provider: {name: opa}, rules: [{to: [{operation: {paths: ["/secure*"]}}]}]}`), authzCall{path: "/secure/x"}, false, rule(d, "ext", 0)},
		{"custom passes the rest", ap(d, "ext", `{action: CUSTOM, provider: {name: opa}, rules: [{to: [{operation: {paths: ["/secure*"]}}]}]}`), authzCall{path: "/open"}, true, ""},
		// A broken rule fails closed (offline manifests never met CEL).
		{"broken ALLOW rule is ignored", ap(d, "bad", `{rules: [{when: [{key: request.user, values: [a]}]}]}`), authzCall{}, false, ""},
		{"broken DENY rule denies", ap(d, "bad", `{action: DENY, rules: [{to: [{operation: {paths: ["/x"]}}], when: [{key: request.user, values: [a]}]}]}`), authzCall{path: "/y"}, false, rule(d, "bad", 0)},
	}
	runAuthzRows(t, rows)
}
