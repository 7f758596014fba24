package describe

import (
	"fmt"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/translate"
)

// What an outbound cluster does about TLS.
const (
	TLSAuto        = "auto mTLS"    // mTLS to endpoints with a sidecar, plaintext to the rest
	TLSIstioMutual = "ISTIO_MUTUAL" // mTLS to every endpoint
	TLSOwn         = "TLS"          // the DestinationRule's own TLS (SIMPLE, MUTUAL), not the mesh's
	TLSNone        = "plaintext"
)

// OutboundCluster is one of the proxy's outbound service clusters.
type OutboundCluster struct {
	Cluster string
	TLS     string
	Reason  string
}

// outbound reads the TLS of every outbound service cluster from the
// generated configuration (what the proxy will do), and explains it from
// the model (why).
func outbound(res *translate.Result) []OutboundCluster {
	meshed := meshedEndpoints(res)
	var out []OutboundCluster
	for _, c := range res.Resources.Clusters {
		key, ok := names.ParseCluster(c.GetName())
		if !ok || key.Direction != names.Outbound {
			continue
		}
		svc := res.Model.Services[key.Host]
		var dr *model.DestinationRule
		if svc != nil {
			dr = res.Model.DestinationRuleFor(res.Proxy.Namespace, res.Proxy.Labels, svc)
		}
		o := OutboundCluster{Cluster: c.GetName()}
		switch o.TLS = clusterTLS(c); o.TLS {
		case TLSAuto:
			n := meshed[c.GetName()]
			o.Reason = fmt.Sprintf("%s: mTLS to the %d of %d endpoints with a sidecar, plaintext to the rest", noTLSRule(dr), n[0], n[1])
		case TLSIstioMutual, TLSOwn:
			o.Reason = ruleSays(dr, key)
		default:
			o.Reason = whyPlaintext(res.Model, c, svc, dr, key)
		}
		out = append(out, o)
	}
	return out
}

// clusterTLS classifies a cluster by its transport sockets.
func clusterTLS(c *clusterv3.Cluster) string {
	for _, m := range c.GetTransportSocketMatches() {
		if m.GetName() == names.TransportSocketMatchIstio {
			return TLSAuto
		}
	}
	if ts := c.GetTransportSocket(); ts != nil {
		var ctx tlsv3.UpstreamTlsContext
		if ts.GetTypedConfig().UnmarshalTo(&ctx) != nil {
			return TLSNone // raw_buffer
		}
		for _, s := range ctx.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
			if names.IsWorkloadSecret(s.GetName()) {
				return TLSIstioMutual
			}
		}
		return TLSOwn
	}
	return TLSNone
}

// meshedEndpoints counts, per cluster, the endpoints marked tlsMode: istio
// and all endpoints.
func meshedEndpoints(res *translate.Result) map[string][2]int {
	out := map[string][2]int{}
	for _, cla := range res.Resources.Endpoints {
		var n [2]int
		for _, l := range cla.GetEndpoints() {
			for _, e := range l.GetLbEndpoints() {
				n[1]++
				if isIstioTLSMode(e.GetMetadata()) {
					n[0]++
				}
			}
		}
		out[cla.GetClusterName()] = n
	}
	return out
}

func isIstioTLSMode(md *corev3.Metadata) bool {
	f := md.GetFilterMetadata()[names.TransportSocketMatchFilter].GetFields()[names.TLSModeKey]
	return f.GetStringValue() == names.TLSModeIstio
}

func noTLSRule(dr *model.DestinationRule) string {
	if dr == nil {
		return "no DestinationRule"
	}
	return "DestinationRule " + dr.Ref.String() + " sets no tls"
}

// ruleSays names the DestinationRule field that set the cluster's TLS.
func ruleSays(dr *model.DestinationRule, key names.ClusterKey) string {
	if dr == nil {
		return "no DestinationRule sets it (unexpected)"
	}
	t, field := ruleTLS(dr.Spec, key.Subset, key.Port)
	if t == nil {
		return "DestinationRule " + dr.Ref.String()
	}
	return fmt.Sprintf("DestinationRule %s %s.mode %s", dr.Ref, field, tlsMode(t))
}

// tlsMode is a tls section's mode; Istio's default is DISABLE.
func tlsMode(t *networkingv1.ClientTLSSettings) string {
	if t.Mode == "" {
		return "DISABLE"
	}
	return t.Mode
}

// whyPlaintext gives the first reason auto mTLS did not apply, in the
// order the generator checks them.
func whyPlaintext(m *model.Model, c *clusterv3.Cluster, svc *model.Service, dr *model.DestinationRule, key names.ClusterKey) string {
	if dr != nil {
		if t, field := ruleTLS(dr.Spec, key.Subset, key.Port); t != nil {
			return fmt.Sprintf("DestinationRule %s %s.mode %s", dr.Ref, field, tlsMode(t))
		}
	}
	switch {
	case svc == nil:
		return "not a service in the registry"
	case svc.MeshExternal:
		return "mesh-external service: auto mTLS never applies (a DestinationRule with tls.mode ISTIO_MUTUAL would)"
	case c.GetType() != clusterv3.Cluster_EDS:
		return fmt.Sprintf("%s cluster: the proxy resolves the endpoints itself, so it cannot tell which run a sidecar", c.GetType())
	}
	if d := m.ExplainMTLSMode(svc.Namespace, nil, 0); d.Mode == model.MTLSDisable {
		return fmt.Sprintf("namespace %s DISABLEs mTLS (%s)", svc.Namespace, policyString(d))
	}
	return "auto mTLS did not apply (see the problems below)"
}

// ruleTLS is the tls section that applies to one subset and port, most
// specific first, and where it is in the rule.
func ruleTLS(spec *networkingv1.DestinationRuleSpec, subset string, port uint32) (*networkingv1.ClientTLSSettings, string) {
	if spec == nil {
		return nil, ""
	}
	if subset != "" {
		for i, s := range spec.Subsets {
			if s.Name == subset && s.TrafficPolicy != nil {
				if t, f := policyTLS(s.TrafficPolicy, port); t != nil {
					return t, fmt.Sprintf("subsets[%d].trafficPolicy.%s", i, f)
				}
			}
		}
	}
	if spec.TrafficPolicy != nil {
		if t, f := policyTLS(spec.TrafficPolicy, port); t != nil {
			return t, "trafficPolicy." + f
		}
	}
	return nil, ""
}

func policyTLS(tp *networkingv1.TrafficPolicy, port uint32) (*networkingv1.ClientTLSSettings, string) {
	for i, p := range tp.PortLevelSettings {
		if p.Port != nil && uint32(p.Port.Number) == port && p.TLS != nil {
			return p.TLS, fmt.Sprintf("portLevelSettings[%d].tls", i)
		}
	}
	if tp.TLS != nil {
		return tp.TLS, "tls"
	}
	return nil, ""
}
