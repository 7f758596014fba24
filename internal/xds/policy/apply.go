package policy

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// Options describe the cluster a policy is applied to.
type Options struct {
	// HTTP2 says the port's protocol is http2 or grpc: the upstream speaks
	// HTTP/2 whatever the policy says (h2UpgradePolicy only upgrades).
	HTTP2 bool
	// UseDownstream says the port's protocol is detected (Auto) and the
	// proxy is a sidecar: the upstream speaks whatever protocol the
	// downstream spoke (HTTP/1.1 or HTTP/2), as Istio configures clusters
	// of sniffed ports. It wins over h2UpgradePolicy, as in Istio, which
	// upgrades declared HTTP ports only.
	UseDownstream bool
	// Field is the field path prefix for errors, e.g. "trafficPolicy" or
	// "subsets[1].trafficPolicy". Paths, when set, wins per section.
	Field string
	// Paths, from EffectivePaths, reports each section under the layer it
	// came from. Optional.
	Paths *Paths
	// Object is the DestinationRule, for errors.
	Object types.NamespacedName
	// DefaultSNI is the SNI for SIMPLE and MUTUAL TLS when tls.sni is empty,
	// normally the service's host name. Optional.
	DefaultSNI string
	// SystemCA is the proxy's CA bundle, used to verify upstream servers in
	// SIMPLE and MUTUAL mode when the rule names no caCertificates (Istio
	// verifies against the system roots since 1.20). Empty keeps the older
	// behaviour: no verification without caCertificates.
	// defaults.SystemCACertificates is the usual path.
	SystemCA string
	// IstioMutualSNI and IstioMutualSANs are what ISTIO_MUTUAL sends as SNI
	// (Istio's outbound_.<port>_.<subset>_.<host>) and expects of the
	// server's certificate (the destination's SPIFFE ids) when tls.sni and
	// tls.subjectAltNames are empty. Optional.
	IstioMutualSNI  string
	IstioMutualSANs []string
	// GRPC says the cluster is for a proxyless gRPC client: lb_policy is
	// one gRPC accepts (see applyGRPCLoadBalancer).
	GRPC bool
	// Kind is the kind of Object, DestinationRule when empty; PoolField,
	// when set, is the path of the connection pool in it (a Sidecar's
	// "inboundConnectionPool"), in place of the section under Field.
	Kind, PoolField string
}

// Apply sets on c everything a traffic policy decides: connect_timeout,
// circuit_breakers, upstream TCP keepalive, outlier_detection, lb_policy
// and its config (PASSTHROUGH turns the cluster into ORIGINAL_DST), the
// upstream HTTP protocol options, and the transport socket (TLS, wrapped
// in PROXY protocol when asked). p is an effective policy (see Effective):
// its portLevelSettings are not consulted. p may be nil: Istio's defaults
// only.
//
// Apply owns those fields: it overwrites them (and clears outlier
// detection, lb config and the transport socket when the policy has none),
// so applying twice gives the same cluster. TCP keepalive is the exception:
// the policy overrides attributes of a keepalive the caller set (Istio's
// mesh-wide tcpKeepalive), one by one.
//
// Settings it cannot honour are skipped and reported; c is valid for Envoy
// whatever p holds, as long as it was valid before.
func Apply(c *clusterv3.Cluster, p *networkingv1.TrafficPolicy, o Options) []FieldError {
	r := &reporter{o: o}
	if p == nil {
		p = &networkingv1.TrafficPolicy{}
	}
	applyConnectTimeout(c, p.ConnectionPool, r)
	applyCircuitBreakers(c, p.ConnectionPool, p.RetryBudget, r)
	applyTCPKeepalive(c, p.ConnectionPool, r)
	applyOutlierDetection(c, p.OutlierDetection, r)
	if o.GRPC {
		applyGRPCLoadBalancer(c, p.LoadBalancer, r)
	} else {
		applyLoadBalancer(c, p.LoadBalancer, r)
	}
	applyLocality(c, p, o.GRPC, r)
	h2 := applyProtocolOptions(c, p.ConnectionPool, o.HTTP2, o.UseDownstream, r)
	applyTLS(c, p.TLS, h2, r)
	applyProxyProtocol(c, p.ProxyProtocol, r)
	if p.Tunnel != nil {
		r.add(secTunnel, "", "tunnel is not supported yet")
	}
	return r.errs
}
