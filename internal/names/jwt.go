package names

import (
	"net"
	"strconv"
)

// JWTProvider names the jwt_authn provider of a proxy's n-th applicable
// jwtRule, as Istio numbers them ("origins-0", ...).
func JWTProvider(n int) string { return "origins-" + strconv.Itoa(n) }

// JWKSCluster names the DNS cluster through which Envoy fetches a jwksUri:
// `jwks|<host>:<port>`. It is not of the four-part service shape, so it
// can never be taken for (or collide with) a service's cluster.
func JWKSCluster(host string, port uint32) string {
	return "jwks|" + net.JoinHostPort(host, strconv.FormatUint(uint64(port), 10))
}
