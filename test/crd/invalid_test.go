package crd

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// invalidCase is an object the API server must refuse, and the field path
// and reason its error must name.
type invalidCase struct {
	name  string
	kind  string
	spec  string
	field string
	why   string
}

const okRoute = `route: [{destination: {host: reviews}}]`

var invalidCases = []invalidCase{
	// VirtualService
	{"route and redirect", "VirtualService", `{hosts: [a], http: [{` + okRoute + `, redirect: {uri: /x}}]}`,
		"spec.http[0]", "exactly one of route, redirect, directResponse or delegate"},
	{"http rule with no action", "VirtualService", `{hosts: [a], http: [{match: [{uri: {prefix: /}}]}]}`,
		"spec.http[0]", "exactly one of route, redirect, directResponse or delegate"},
	{"string match with two kinds", "VirtualService", `{hosts: [a], http: [{match: [{uri: {exact: /a, prefix: /b}}], ` + okRoute + `}]}`,
		"spec.http[0].match[0].uri", "only one of exact, prefix or regex"},
	{"header match with two kinds", "VirtualService", `{hosts: [a], http: [{match: [{headers: {x-user: {exact: a, regex: b}}}], ` + okRoute + `}]}`,
		"spec.http[0].match[0].headers[x-user]", "only one of exact, prefix or regex"},
	{"weight above 100", "VirtualService", `{hosts: [a], http: [{route: [{destination: {host: a}, weight: 101}]}]}`,
		"spec.http[0].route[0].weight", "less than or equal to 100"},
	{"negative weight", "VirtualService", `{hosts: [a], http: [{route: [{destination: {host: a}, weight: -1}]}]}`,
		"spec.http[0].route[0].weight", "greater than or equal to 0"},
	{"all weights zero", "VirtualService", `{hosts: [a], http: [{route: [{destination: {host: a, subset: v1}, weight: 0}, {destination: {host: a, subset: v2}}]}]}`,
		"spec.http[0].route", "at least one weight must be greater than 0"},
	{"tcp weights zero", "VirtualService", `{hosts: [a], tcp: [{route: [{destination: {host: a, subset: v1}}, {destination: {host: a, subset: v2}}]}]}`,
		"spec.tcp[0].route", "at least one weight must be greater than 0"},
	{"destination without host", "VirtualService", `{hosts: [a], http: [{route: [{destination: {subset: v1}}]}]}`,
		"spec.http[0].route[0].destination.host", "Required value"},
	{"fault percentage above 100", "VirtualService", `{hosts: [a], http: [{fault: {delay: {fixedDelay: 5s, percentage: {value: 100.5}}}, ` + okRoute + `}]}`,
		"spec.http[0].fault.delay.percentage.value", "less than or equal to 100"},
	{"fault percentage negative", "VirtualService", `{hosts: [a], http: [{fault: {abort: {httpStatus: 500, percentage: {value: -1}}}, ` + okRoute + `}]}`,
		"spec.http[0].fault.abort.percentage.value", "greater than or equal to 0"},
	{"abort with http and grpc status", "VirtualService", `{hosts: [a], http: [{fault: {abort: {httpStatus: 500, grpcStatus: UNAVAILABLE}}, ` + okRoute + `}]}`,
		"spec.http[0].fault.abort", "exactly one of httpStatus, grpcStatus or http2Error"},
	{"abort status out of range", "VirtualService", `{hosts: [a], http: [{fault: {abort: {httpStatus: 99}}, ` + okRoute + `}]}`,
		"spec.http[0].fault.abort.httpStatus", "greater than or equal to 200"},
	{"unknown grpc status", "VirtualService", `{hosts: [a], http: [{fault: {abort: {grpcStatus: BROKEN}}, ` + okRoute + `}]}`,
		"spec.http[0].fault.abort.grpcStatus", "Unsupported value"},
	{"delay without a delay", "VirtualService", `{hosts: [a], http: [{fault: {delay: {percentage: {value: 10}}}, ` + okRoute + `}]}`,
		"spec.http[0].fault.delay", "exactly one of fixedDelay or exponentialDelay"},
	{"malformed timeout", "VirtualService", `{hosts: [a], http: [{timeout: 10, ` + okRoute + `}]}`,
		"spec.http[0].timeout", "Invalid value"},
	{"timeout below 1ms", "VirtualService", `{hosts: [a], http: [{timeout: 100us, ` + okRoute + `}]}`,
		"spec.http[0].timeout", "must be 0s (disabled) or a valid duration greater than or equal to 1ms"},
	{"perTryTimeout not a duration", "VirtualService", `{hosts: [a], http: [{retries: {attempts: 3, perTryTimeout: soon}, ` + okRoute + `}]}`,
		"spec.http[0].retries.perTryTimeout", "must be a valid duration"},
	{"negative retry attempts", "VirtualService", `{hosts: [a], http: [{retries: {attempts: -1}, ` + okRoute + `}]}`,
		"spec.http[0].retries.attempts", "greater than or equal to 0"},
	{"mirror and mirrors", "VirtualService", `{hosts: [a], http: [{mirror: {host: b}, mirrors: [{destination: {host: c}}], ` + okRoute + `}]}`,
		"spec.http[0]", "only one of mirror or mirrors"},
	{"mirror_percent above 100", "VirtualService", `{hosts: [a], http: [{mirror: {host: b}, mirror_percent: 150, ` + okRoute + `}]}`,
		"spec.http[0].mirror_percent", "less than or equal to 100"},
	{"rewrite with redirect", "VirtualService", `{hosts: [a], http: [{redirect: {uri: /b}, rewrite: {uri: /c}}]}`,
		"spec.http[0]", "rewrite cannot be used with redirect or directResponse"},
	{"rewrite uri and regex", "VirtualService", `{hosts: [a], http: [{rewrite: {uri: /c, uriRegexRewrite: {match: a, rewrite: b}}, ` + okRoute + `}]}`,
		"spec.http[0].rewrite", "only one of uri or uriRegexRewrite"},
	{"redirect code not 3xx", "VirtualService", `{hosts: [a], http: [{redirect: {uri: /b, redirectCode: 200}}]}`,
		"spec.http[0].redirect.redirectCode", "greater than or equal to 300"},
	{"match port out of range", "VirtualService", `{hosts: [a], http: [{match: [{port: 70000}], ` + okRoute + `}]}`,
		"spec.http[0].match[0].port", "less than or equal to 65535"},
	{"direct response without status", "VirtualService", `{hosts: [a], http: [{directResponse: {body: {string: hi}}}]}`,
		"spec.http[0].directResponse.status", "Required value"},
	{"tls route without sniHosts", "VirtualService", `{hosts: [a], tls: [{match: [{port: 443}], route: [{destination: {host: a}}]}]}`,
		"spec.tls[0].match[0].sniHosts", "Required value"},
	{"unknown field", "VirtualService", `{hosts: [a], http: [{` + okRoute + `, retry: {attempts: 3}}]}`,
		"spec.http[0].retry", "unknown field"},
	// DestinationRule
	{"missing host", "DestinationRule", `{subsets: [{name: v1}]}`,
		"spec.host", "Required value"},
	{"unknown load balancer", "DestinationRule", `{host: a, trafficPolicy: {loadBalancer: {simple: FASTEST}}}`,
		"spec.trafficPolicy.loadBalancer.simple", "Unsupported value"},
	{"simple and consistent hash", "DestinationRule", `{host: a, trafficPolicy: {loadBalancer: {simple: RANDOM, consistentHash: {useSourceIp: true}}}}`,
		"spec.trafficPolicy.loadBalancer", "only one of simple or consistentHash"},
	{"hash on two keys", "DestinationRule", `{host: a, trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user, useSourceIp: true}}}}`,
		"spec.trafficPolicy.loadBalancer.consistentHash", "exactly one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName"},
	{"ring hash and maglev", "DestinationRule", `{host: a, trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, ringHash: {minimumRingSize: 1024}, maglev: {tableSize: 65537}}}}}`,
		"spec.trafficPolicy.loadBalancer.consistentHash", "only one of ringHash, maglev"},
	{"unknown tls mode", "DestinationRule", `{host: a, trafficPolicy: {tls: {mode: STRICT}}}`,
		"spec.trafficPolicy.tls.mode", "Unsupported value"},
	{"mutual tls without a certificate", "DestinationRule", `{host: a, trafficPolicy: {tls: {mode: MUTUAL}}}`,
		"spec.trafficPolicy.tls", "MUTUAL mode requires credentialName or both clientCertificate and privateKey"},
	{"duplicate subset", "DestinationRule", `{host: a, subsets: [{name: v1, labels: {version: v1}}, {name: v1, labels: {version: v2}}]}`,
		"spec.subsets[1]", "Duplicate value"},
	{"subset without name", "DestinationRule", `{host: a, subsets: [{labels: {version: v1}}]}`,
		"spec.subsets[0].name", "Required value"},
	{"max ejection above 100", "DestinationRule", `{host: a, trafficPolicy: {outlierDetection: {maxEjectionPercent: 101}}}`,
		"spec.trafficPolicy.outlierDetection.maxEjectionPercent", "less than or equal to 100"},
	{"negative max connections", "DestinationRule", `{host: a, subsets: [{name: v1, trafficPolicy: {connectionPool: {tcp: {maxConnections: -5}}}}]}`,
		"spec.subsets[0].trafficPolicy.connectionPool.tcp.maxConnections", "greater than or equal to 0"},
	{"ejection time below 1ms", "DestinationRule", `{host: a, trafficPolicy: {outlierDetection: {baseEjectionTime: 0s}}}`,
		"spec.trafficPolicy.outlierDetection.baseEjectionTime", "must be a valid duration greater than or equal to 1ms"},
	{"unknown h2 upgrade policy", "DestinationRule", `{host: a, trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: ALWAYS}}}}`,
		"spec.trafficPolicy.connectionPool.http.h2UpgradePolicy", "Unsupported value"},
	{"port level port out of range", "DestinationRule", `{host: a, trafficPolicy: {portLevelSettings: [{port: {number: 0}, loadBalancer: {simple: RANDOM}}]}}`,
		"spec.trafficPolicy.portLevelSettings[0].port.number", "greater than or equal to 1"},
	// Gateway
	{"gateway without servers", "Gateway", `{selector: {istio: ingressgateway}}`,
		"spec.servers", "Required value"},
	{"server without hosts", "Gateway", `{servers: [{port: {number: 80, name: http, protocol: HTTP}}]}`,
		"spec.servers[0].hosts", "Required value"},
	{"server port out of range", "Gateway", `{servers: [{port: {number: 65536, name: http, protocol: HTTP}, hosts: ["*"]}]}`,
		"spec.servers[0].port.number", "less than or equal to 65535"},
	{"server port without protocol", "Gateway", `{servers: [{port: {number: 80, name: http}, hosts: ["*"]}]}`,
		"spec.servers[0].port.protocol", "Required value"},
	{"unknown server tls mode", "Gateway", `{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ["*"], tls: {mode: STRICT, credentialName: c}}]}`,
		"spec.servers[0].tls.mode", "Unsupported value"},
	{"two certificate sources", "Gateway", `{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ["*"], tls: {mode: SIMPLE, credentialName: c, serverCertificate: /c.pem, privateKey: /k.pem}}]}`,
		"spec.servers[0].tls", "only one of credentialName, credentialNames, tlsCertificates or serverCertificate/privateKey"},
	{"simple tls without certificate", "Gateway", `{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ["*"], tls: {mode: SIMPLE}}]}`,
		"spec.servers[0].tls", "need a certificate"},
	{"unknown tls version", "Gateway", `{servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ["*"], tls: {mode: SIMPLE, credentialName: c, minProtocolVersion: TLSV1_4}}]}`,
		"spec.servers[0].tls.minProtocolVersion", "Unsupported value"},
	// ServiceEntry
	{"wildcard host", "ServiceEntry", `{hosts: ["*"], ports: [{number: 80, name: http, protocol: HTTP}]}`,
		"spec.hosts", "hosts cannot be the wildcard *"},
	{"no hosts", "ServiceEntry", `{ports: [{number: 80, name: http, protocol: HTTP}]}`,
		"spec.hosts", "Required value"},
	{"duplicate port number", "ServiceEntry", `{hosts: [a.example.com], ports: [{number: 80, name: http, protocol: HTTP}, {number: 80, name: http2, protocol: HTTP2}]}`,
		"spec.ports[1]", "Duplicate value"},
	{"port out of range", "ServiceEntry", `{hosts: [a.example.com], ports: [{number: 0, name: http, protocol: HTTP}]}`,
		"spec.ports[0].number", "greater than or equal to 1"},
	{"selector and endpoints", "ServiceEntry", `{hosts: [a.example.com], resolution: STATIC, workloadSelector: {labels: {app: a}}, endpoints: [{address: 10.0.0.1}]}`,
		"spec", "only one of workloadSelector or endpoints"},
	{"CIDR with DNS", "ServiceEntry", `{hosts: [a.example.com], addresses: [10.0.0.0/24], resolution: DNS, ports: [{number: 80, name: http, protocol: HTTP}]}`,
		"spec", "CIDR addresses are allowed only with resolution NONE or STATIC"},
	{"NONE with endpoints", "ServiceEntry", `{hosts: [a.example.com], resolution: NONE, endpoints: [{address: 10.0.0.1}]}`,
		"spec", "resolution NONE cannot have endpoints"},
	{"default resolution with endpoints", "ServiceEntry", `{hosts: [a.example.com], endpoints: [{address: 10.0.0.1}]}`,
		"spec", "resolution NONE cannot have endpoints"},
	{"DNS_ROUND_ROBIN with two endpoints", "ServiceEntry", `{hosts: [a.example.com], resolution: DNS_ROUND_ROBIN, endpoints: [{address: a.example.com}, {address: b.example.com}]}`,
		"spec", "resolution DNS_ROUND_ROBIN allows at most one endpoint"},
	{"unknown resolution", "ServiceEntry", `{hosts: [a.example.com], resolution: DYNAMIC}`,
		"spec.resolution", "Unsupported value"},
	{"unknown location", "ServiceEntry", `{hosts: [a.example.com], location: MESH_OUTSIDE}`,
		"spec.location", "Unsupported value"},
	{"endpoint port out of range", "ServiceEntry", `{hosts: [a.example.com], resolution: STATIC, endpoints: [{address: 10.0.0.1, ports: {http: 99999}}]}`,
		"spec.endpoints[0].ports.http", "less than or equal to 65535"},
	// PeerAuthentication
	{"portLevelMtls without selector", "PeerAuthentication", `{mtls: {mode: STRICT}, portLevelMtls: {"8080": {mode: DISABLE}}}`,
		"spec.portLevelMtls", "portLevelMtls requires selector"},
	{"portLevelMtls with an empty selector", "PeerAuthentication", `{selector: {matchLabels: {}}, portLevelMtls: {"8080": {mode: DISABLE}}}`,
		"spec.portLevelMtls", "portLevelMtls requires selector"},
	{"portLevelMtls port 0", "PeerAuthentication", `{selector: {matchLabels: {app: a}}, portLevelMtls: {"0": {mode: DISABLE}}}`,
		"spec.portLevelMtls", "port must be between 1-65535"},
	{"portLevelMtls port not a number", "PeerAuthentication", `{selector: {matchLabels: {app: a}}, portLevelMtls: {http: {mode: DISABLE}}}`,
		"spec.portLevelMtls", "port must be between 1-65535"},
	{"portLevelMtls port above 65535", "PeerAuthentication", `{selector: {matchLabels: {app: a}}, portLevelMtls: {"70000": {mode: DISABLE}}}`,
		"spec.portLevelMtls", "port must be between 1-65535"},
	{"empty portLevelMtls", "PeerAuthentication", `{selector: {matchLabels: {app: a}}, portLevelMtls: {}}`,
		"spec.portLevelMtls", "should have at least 1 properties"},
	{"unknown mtls mode", "PeerAuthentication", `{mtls: {mode: ISTIO_MUTUAL}}`,
		"spec.mtls.mode", "Unsupported value"},
	{"lower-case mode", "PeerAuthentication", `{mtls: {mode: strict}}`,
		"spec.mtls.mode", "Unsupported value"},
	{"port-level mode misspelt", "PeerAuthentication", `{selector: {matchLabels: {app: finance}}, portLevelMtls: {8080: {mode: DISABLED}}}`,
		"spec.portLevelMtls.8080.mode", "Unsupported value"},
	{"unknown port mode", "PeerAuthentication", `{selector: {matchLabels: {app: a}}, portLevelMtls: {"80": {mode: OFF}}}`,
		"spec.portLevelMtls.80.mode", "Unsupported value"},
	{"wildcard label key", "PeerAuthentication", `{selector: {matchLabels: {"app*": a}}}`,
		"spec.selector.matchLabels", "wildcard not allowed in label key match"},
	{"wildcard label value", "PeerAuthentication", `{selector: {matchLabels: {app: "a*"}}}`,
		"spec.selector.matchLabels[app]", "wildcard not allowed in label value match"},
	// RequestAuthentication
	{"jwt rule without issuer", "RequestAuthentication", `{jwtRules: [{jwks: "{}"}]}`,
		"spec.jwtRules[0].issuer", "Required value"},
	{"empty issuer", "RequestAuthentication", `{jwtRules: [{issuer: ""}]}`,
		"spec.jwtRules[0].issuer", "should be at least 1 chars long"},
	{"jwks and jwksUri", "RequestAuthentication", `{jwtRules: [{issuer: a, jwks: "{}", jwksUri: "https://a.example.com/jwks"}]}`,
		"spec.jwtRules[0]", "only one of jwks or jwksUri can be set"},
	{"jwksUri without http scheme", "RequestAuthentication", `{jwtRules: [{issuer: a, jwksUri: "ftp://a.example.com/jwks"}]}`,
		"spec.jwtRules[0].jwksUri", "url must have scheme http:// or https://"},
	{"header without name", "RequestAuthentication", `{jwtRules: [{issuer: a, fromHeaders: [{prefix: "Bearer "}]}]}`,
		"spec.jwtRules[0].fromHeaders[0].name", "Required value"},
	{"empty param", "RequestAuthentication", `{jwtRules: [{issuer: a, fromParams: [""]}]}`,
		"spec.jwtRules[0].fromParams[0]", "should be at least 1 chars long"},
	{"claim header with a space", "RequestAuthentication", `{jwtRules: [{issuer: a, outputClaimToHeaders: [{header: "x user", claim: sub}]}]}`,
		"spec.jwtRules[0].outputClaimToHeaders[0].header", "should match"},
	{"claim header without claim", "RequestAuthentication", `{jwtRules: [{issuer: a, outputClaimToHeaders: [{header: x-sub}]}]}`,
		"spec.jwtRules[0].outputClaimToHeaders[0].claim", "Required value"},
	{"jwks timeout below 1ms", "RequestAuthentication", `{jwtRules: [{issuer: a, jwksUri: "https://a.example.com/jwks", timeout: 0s}]}`,
		"spec.jwtRules[0].timeout", "must be a valid duration greater than or equal to 1ms"},
	{"jwks and jwks_uri", "RequestAuthentication", `{jwtRules: [{issuer: a, jwks: "{}", jwks_uri: "https://a.example.com/jwks"}]}`,
		"spec.jwtRules[0]", "only one of jwks or jwksUri can be set"},
	{"unknown presence", "RequestAuthentication", `{jwtRules: [{issuer: a, presence: MANDATORY}]}`,
		"spec.jwtRules[0].presence", "Unsupported value"},
	{"two targetRef fields", "RequestAuthentication", `{targetRef: {kind: Service, name: a}, targetRefs: [{kind: Service, name: b}]}`,
		"spec", "only one of targetRefs or selector can be set"},
	{"selector and targetRef", "RequestAuthentication", `{selector: {matchLabels: {app: a}}, targetRef: {kind: Gateway, group: gateway.networking.k8s.io, name: gw}}`,
		"spec", "only one of targetRefs or selector can be set"},
	{"cross-namespace targetRef", "RequestAuthentication", `{targetRefs: [{kind: Service, name: s, namespace: other}]}`,
		"spec.targetRefs[0].namespace", "cross namespace referencing is not currently supported"},
	// AuthorizationPolicy
	{"provider without CUSTOM", "AuthorizationPolicy", `{action: DENY, provider: {name: opa}, rules: [{}]}`,
		"spec.provider", "provider must be set with action CUSTOM and only with it"},
	{"CUSTOM without provider", "AuthorizationPolicy", `{action: CUSTOM, rules: [{}]}`,
		"spec.provider", "provider must be set with action CUSTOM and only with it"},
	{"unknown action", "AuthorizationPolicy", `{action: PERMIT}`,
		"spec.action", "Unsupported value"},
	{"unknown condition key", "AuthorizationPolicy", `{rules: [{when: [{key: request.user, values: [a]}]}]}`,
		"spec.rules[0].when[0].key", "unknown condition key"},
	{"condition without values", "AuthorizationPolicy", `{rules: [{when: [{key: "request.headers[x-a]"}]}]}`,
		"spec.rules[0].when[0]", "at least one of values or notValues must be set"},
	{"malformed principal", "AuthorizationPolicy", `{rules: [{from: [{source: {principals: ["cluster.local/*/sa/a"]}}]}]}`,
		"spec.rules[0].from[0].source.principals[0]", "'*' is allowed only as a prefix, a suffix or the whole value"},
	{"empty principal", "AuthorizationPolicy", `{rules: [{from: [{source: {principals: [""]}}]}]}`,
		"spec.rules[0].from[0].source.principals[0]", "at least 1 chars long"},
	{"empty path", "AuthorizationPolicy", `{rules: [{to: [{operation: {paths: [""]}}]}]}`,
		"spec.rules[0].to[0].operation.paths[0]", "at least 1 chars long"},
	{"empty source", "AuthorizationPolicy", `{rules: [{from: [{source: {}}]}]}`,
		"spec.rules[0].from[0].source", "should have at least 1 properties"},
	{"bad ip block", "AuthorizationPolicy", `{rules: [{from: [{source: {ipBlocks: ["10.0.0.0/40"]}}]}]}`,
		"spec.rules[0].from[0].source.ipBlocks[0]", "must be an IP address or a CIDR range"},
	{"port out of range", "AuthorizationPolicy", `{rules: [{to: [{operation: {ports: ["70000"]}}]}]}`,
		"spec.rules[0].to[0].operation.ports[0]", "port must be between 1-65535"},
	{"selector and targetRef", "AuthorizationPolicy", `{selector: {matchLabels: {app: a}}, targetRef: {kind: Service, group: "", name: a}}`,
		"spec", "only one of targetRefs, targetRef or selector can be set"},
	{"targetRef of an unknown kind", "AuthorizationPolicy", `{targetRef: {kind: Pod, group: "", name: a}}`,
		"spec.targetRef", "Support kinds are"},
	// Sidecar
	{"egress host without namespace", "Sidecar", `{egress: [{hosts: ["reviews.default.svc.cluster.local"]}]}`,
		"spec.egress[0].hosts[0]", "should match '^[^/]+/[^/]+$'"},
	{"egress host with empty namespace", "Sidecar", `{egress: [{hosts: ["/*"]}]}`,
		"spec.egress[0].hosts[0]", "should match '^[^/]+/[^/]+$'"},
	{"egress without hosts", "Sidecar", `{egress: [{port: {number: 80, protocol: HTTP, name: http}}]}`,
		"spec.egress[0].hosts", "Required value"},
	{"unknown outbound mode", "Sidecar", `{outboundTrafficPolicy: {mode: DENY}}`,
		"spec.outboundTrafficPolicy.mode", "Unsupported value"},
	{"unknown capture mode", "Sidecar", `{egress: [{captureMode: TPROXY, hosts: ["./*"]}]}`,
		"spec.egress[0].captureMode", "Unsupported value"},
	{"ingress without port", "Sidecar", `{ingress: [{defaultEndpoint: "127.0.0.1:8080"}]}`,
		"spec.ingress[0].port", "Required value"},
	// Telemetry
	{"selector and targetRefs", "Telemetry", `{selector: {matchLabels: {app: a}}, targetRefs: [{kind: Service, group: "", name: a}]}`,
		"spec", "only one of targetRefs or selector can be set"},
	{"sampling above 100", "Telemetry", `{tracing: [{randomSamplingPercentage: 101}]}`,
		"spec.tracing[0].randomSamplingPercentage", "less than or equal to 100"},
	{"negative sampling", "Telemetry", `{tracing: [{randomSamplingPercentage: -1}]}`,
		"spec.tracing[0].randomSamplingPercentage", "greater than or equal to 0"},
	{"two tracing providers", "Telemetry", `{tracing: [{providers: [{name: a}, {name: b}]}]}`,
		"spec.tracing[0].providers", "must have at most 1 item"},
	{"unknown mode", "Telemetry", `{tracing: [{match: {mode: BOTH}}]}`,
		"spec.tracing[0].match.mode", "Unsupported value"},
	{"custom tag of two kinds", "Telemetry", `{tracing: [{customTags: {t: {literal: {value: a}, header: {name: x}}}}]}`,
		"spec.tracing[0].customTags[t]", "exactly one of literal, environment or header"},
	{"provider without name", "Telemetry", `{accessLogging: [{providers: [{}]}]}`,
		"spec.accessLogging[0].providers[0].name", "Required value"},
	{"cross-namespace targetRef", "Telemetry", `{targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: gw, namespace: other}]}`,
		"spec.targetRefs[0].namespace", "cross namespace referencing is not currently supported"},
	{"targetRef of an unsupported kind", "Telemetry", `{targetRef: {kind: Pod, group: "", name: a}}`,
		"spec.targetRef", "Support kinds are"},
	{"reporting interval too short", "Telemetry", `{metrics: [{reportingInterval: 0s}]}`,
		"spec.metrics[0].reportingInterval", "must be at least 1ms"},
	// RateLimitPolicy
	{"rate limit without rules", "RateLimitPolicy", `{dryRun: true}`,
		"spec.rules", "Required value"},
	{"zero fill interval", "RateLimitPolicy", `{rules: [{name: a, local: {maxTokens: 5, fillInterval: 0s}}]}`,
		"spec.rules[0].local", "fillInterval must be at least 50ms"},
	{"burst below rate", "RateLimitPolicy", `{rules: [{name: a, local: {maxTokens: 1, tokensPerFill: 10, fillInterval: 1s}}]}`,
		"spec.rules[0].local", "maxTokens (the burst) must not be below tokensPerFill"},
	{"zero max tokens", "RateLimitPolicy", `{rules: [{name: a, local: {maxTokens: 0, fillInterval: 1s}}]}`,
		"spec.rules[0].local.maxTokens", "greater than or equal to 1"},
	{"two rules without match", "RateLimitPolicy", `{rules: [{name: a, local: {maxTokens: 1, fillInterval: 1s}}, {name: b, local: {maxTokens: 1, fillInterval: 1s}}]}`,
		"spec.rules", "at most one local rule may have no match"},
	{"rule with neither local nor global", "RateLimitPolicy", `{rules: [{name: a}]}`,
		"spec.rules[0]", "a rule needs local, global or both"},
	{"global without provider", "RateLimitPolicy", `{rules: [{name: a, global: {provider: ""}}]}`,
		"spec.rules[0].global.provider", "at least 1"},
	{"two rules of one name", "RateLimitPolicy", `{rules: [{name: a, match: {method: GET}, local: {maxTokens: 1, fillInterval: 1s}}, {name: a, local: {maxTokens: 1, fillInterval: 1s}}]}`,
		"spec.rules", "rule names must be unique"},
	{"selector and targetRef", "RateLimitPolicy", `{selector: {matchLabels: {app: a}}, targetRef: {kind: Service, name: a}, rules: [{name: a, local: {maxTokens: 1, fillInterval: 1s}}]}`,
		"spec", "only one of selector or targetRef"},
	{"targetRef to a Pod", "RateLimitPolicy", `{targetRef: {kind: Pod, name: a}, rules: [{name: a, local: {maxTokens: 1, fillInterval: 1s}}]}`,
		"spec.targetRef", "targetRef must be a core Service or a networking.istio.io Gateway"},
	{"path exact and prefix", "RateLimitPolicy", `{rules: [{name: a, match: {path: {exact: /a, prefix: /b}}, local: {maxTokens: 1, fillInterval: 1s}}]}`,
		"spec.rules[0].match.path", "exactly one of exact or prefix"},
	{"refusal status not an error", "RateLimitPolicy", `{response: {status: 200}, rules: [{name: a, local: {maxTokens: 1, fillInterval: 1s}}]}`,
		"spec.response.status", "greater than or equal to 400"},
	{"fill interval not a duration", "RateLimitPolicy", `{rules: [{name: a, local: {maxTokens: 1, fillInterval: often}}]}`,
		"spec.rules[0].local.fillInterval", "Invalid value"},
}

func TestInvalidObjectsRejected(t *testing.T) {
	const ns = "invalid"
	ensureNamespace(t, ns)
	rejected := 0
	for i, tc := range invalidCases {
		vs := versionsOf(tc.kind)
		version := vs[i%len(vs)] // every version enforces the same rules
		t.Run(tc.name, func(t *testing.T) {
			var spec map[string]any
			if err := yaml.Unmarshal([]byte(tc.spec), &spec); err != nil {
				t.Fatalf("bad test spec: %v", err)
			}
			obj := &unstructured.Unstructured{Object: map[string]any{"kind": tc.kind, "spec": spec}}
			obj.SetName("bad")
			_, err := createAs(obj, version, ns)
			if err == nil {
				t.Fatalf("%s as %s was accepted; want an error naming %s", tc.kind, version, tc.field)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.field) || !strings.Contains(msg, tc.why) {
				t.Fatalf("error should name field %q and reason %q, got:\n%s", tc.field, tc.why, msg)
			}
			t.Logf("%s as %s: %s", tc.kind, version, msg)
			rejected++
		})
	}
	t.Logf("invalid objects: %d of %d rejected with an error naming the field", rejected, len(invalidCases))
	if rejected != len(invalidCases) {
		t.Errorf("%d invalid objects were not rejected as expected", len(invalidCases)-rejected)
	}
}
