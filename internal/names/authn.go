package names

// Envoy filter names and the metadata a verified JWT leaves for RBAC.
// jwt_authn writes the verified token's payload into the dynamic metadata
// of the filter's own namespace under JWTPayloadKey; RBAC principals for
// Istio's requestPrincipals and request.auth.* conditions read it there.
const (
	JWTAuthnFilter = "envoy.filters.http.jwt_authn"
	RBACFilter     = "envoy.filters.http.rbac"
	JWTPayloadKey  = "payload"
)
