package crd

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// corpusLacks are served kinds Istio's conformance corpus holds no object
// of; each is covered by objects of its own below instead.
// (AuthorizationPolicy's documentation examples are
// TestAuthorizationPolicyExamplesAccepted's.)
var corpusLacks = map[string]bool{"RequestAuthentication": true, "AuthorizationPolicy": true, "Telemetry": true, "RateLimitPolicy": true}

// validRequestAuthentications are Istio's documentation examples and one
// that sets every field: each must be accepted in every served version and
// read back unchanged in every other.
var validRequestAuthentications = []string{
	`{selector: {matchLabels: {app: httpbin}}, jwtRules: [{issuer: "issuer-foo", jwksUri: "https://example.com/.well-known/jwks.json"}]}`,
	`{jwtRules: [{issuer: "issuer-foo", jwks: '{"keys": []}', fromHeaders: [{name: x-jwt-assertion}], fromParams: [token]}]}`,
	`{targetRefs: [{kind: Service, name: waypoint}, {kind: Service, group: core, name: other}, {kind: ServiceEntry, group: networking.istio.io, name: se}]}`,
	`{targetRef: {kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}, jwtRules: [{issuer: "issuer-foo", jwksUri: "http://keys.example.com/jwks"}]}`,
	`{selector: {matchLabels: {app: api}}, jwtRules: [{issuer: "https://accounts.example.com", audiences: [api, web],
	  jwksUri: "https://accounts.example.com/keys", fromHeaders: [{name: Authorization, prefix: "Bearer "}], fromParams: [access_token],
	  fromCookies: [session], outputPayloadToHeader: x-jwt-payload, forwardOriginalToken: true,
	  outputClaimToHeaders: [{header: x-sub, claim: sub}, {header: x-group, claim: groups}], timeout: 5s,
	  spaceDelimitedClaims: [roles], presence: REQUIRED}, {issuer: other, jwks_uri: "https://other.example.com/keys"}]}`,
}

func TestRequestAuthenticationsAccepted(t *testing.T) {
	for i, s := range validRequestAuthentications {
		var spec map[string]any
		if err := yaml.Unmarshal([]byte(s), &spec); err != nil {
			t.Fatalf("bad test spec %d: %v", i, err)
		}
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication", "spec": spec,
		}}
		obj.SetName("ra")
		if !acceptOne(t, "ra-valid-"+string(rune('a'+i)), "validRequestAuthentications", obj) {
			t.Errorf("RequestAuthentication %d not accepted: %s", i, s)
		}
	}
}
