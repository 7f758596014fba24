package defaults

import "time"

// RequestAuthentication (JWT) defaults, as Istio and Envoy's jwt_authn
// apply them when a jwtRule says nothing.
const (
	// JWTHeader and JWTHeaderPrefix are where a token is read from when a
	// rule names no header, parameter or cookie: "Authorization: Bearer
	// <token>" (Envoy's default, and Istio's documented one).
	JWTHeader       = "Authorization"
	JWTHeaderPrefix = "Bearer "
	// JWTParam is the query parameter a token is also read from then.
	JWTParam = "access_token"
	// JWKSFetchTimeout bounds one fetch of a jwksUri (Istio's default for
	// a rule without timeout).
	JWKSFetchTimeout = 5 * time.Second
	// JWKSCacheDuration is how long Envoy keeps a fetched JWKS (Istio's
	// remote_jwks cache_duration).
	JWKSCacheDuration = 5 * time.Minute
	// HTTPPort and HTTPSPort are the ports of a jwksUri that names none.
	HTTPPort  = 80
	HTTPSPort = 443
)

// JWTSpaceDelimitedClaims are the claims Istio always splits on spaces
// ("read write" matches "read" and "write") before authorization reads
// them; a rule's spaceDelimitedClaims add to them.
func JWTSpaceDelimitedClaims() []string { return []string{"scope", "permission"} }

// UnusableJWKS stands in for the keys of a rule whose own keys cannot be
// used (no jwks or jwksUri, or an inline jwks that does not parse), as
// Istio's fake JWKS does: a valid RSA public key whose private key was
// thrown away when it was made, so no token verifies and a request that
// carries one for the issuer is refused rather than let through.
const UnusableJWKS = `{"keys":[{"kty":"RSA","alg":"RS256","use":"sig","kid":"sailplane-unusable","e":"AQAB","n":"3XfHfS9ZW7J_QdPfUpptJlhu-SXdEJENi0KHE4kNDSqPJtaBR66WX5ZUNPl_dlQ-GHlNVPDJ3OutQ2AJdSGDCo7NvIFdknzhX8gtujFpW0b8WsErc3rjN1shFXq1bFTHsCibmCUIo4kP9h9Y-DvkTjANwn4XwaUWx8ekmFQPhfvW89IYOn0DgxnW-BG0n_ergXEJ35nfCY2w5EkLiIapw54F7v_wW4PZ__TuU8Ujyn_1p3AJIrQCXN129xcFYC-7GXysIZNX4QJF-4K6Tw4OpW1HuH45RRmWmfQPhQaM04mmiHiWK86EnEfinRbnoJtQ4BQETP1ZjEeZvkw953nNiw"}]}`
