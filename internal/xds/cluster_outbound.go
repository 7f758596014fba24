package xds

import (
	"fmt"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds/policy"
)

// outboundClusters builds, for every visible service port, the default
// cluster and one per subset of the DestinationRule that applies, with
// their endpoints.
func (g *generator) outboundClusters() {
	for _, svc := range g.visibleServices() {
		g.serviceClusters(svc)
	}
}

// serviceClusters builds one service's clusters: per port, the default
// cluster and one per subset of the DestinationRule that applies.
func (g *generator) serviceClusters(svc *model.Service) {
	dr := g.m.DestinationRuleFor(g.proxy.Namespace, g.proxy.Labels, svc)
	for _, port := range svc.Ports {
		if port.Protocol == model.UDP {
			continue
		}
		g.outboundCluster(svc, port, dr, nil, -1)
		if dr == nil {
			continue
		}
		for i := range dr.Spec.Subsets {
			if !dr.SubsetUsable(i) {
				continue // reported by the model
			}
			g.outboundCluster(svc, port, dr, &dr.Spec.Subsets[i], i)
		}
	}
}

func (g *generator) buildOutboundCluster(svc *model.Service, port model.Port, dr *model.DestinationRule, subset *networkingv1.Subset, idx int) {
	subsetName := ""
	if subset != nil {
		subsetName = subset.Name
	}
	name := names.OutboundCluster(port.Number, subsetName, svc.Hostname)
	c := &clusterv3.Cluster{
		Name:           name,
		ConnectTimeout: durationpb.New(defaults.ConnectTimeout),
	}
	eps := svc.Endpoints[port.Number]
	if subset != nil {
		eps = filterEndpoints(eps, subset.Labels)
	}
	g.discovery(c, svc, eps)
	opts := policy.Options{
		HTTP2:           port.Protocol.IsHTTP2(),
		UseDownstream:   g.sniffs(port),
		DefaultSNI:      svc.Hostname,
		SystemCA:        defaults.SystemCACertificates,
		GRPC:            g.proxyless,
		IstioMutualSNI:  names.MTLSSNI(port.Number, subsetName, svc.Hostname),
		IstioMutualSANs: svc.ServiceAccounts,
	}
	var tp *networkingv1.TrafficPolicy
	if dr != nil {
		var sub *networkingv1.TrafficPolicy
		subField := ""
		if subset != nil {
			sub = subset.TrafficPolicy
			subField = fmt.Sprintf("subsets[%d].trafficPolicy", idx)
		}
		tp = policy.Effective(dr.Spec.TrafficPolicy, sub, port.Number)
		opts.Paths = policy.EffectivePaths(dr.Spec.TrafficPolicy, sub, port.Number, "trafficPolicy", subField)
		opts.Field = "trafficPolicy"
		opts.Object = dr.Ref
	}
	for _, fe := range policy.Apply(c, tp, opts) {
		g.problem(model.ObjectRef{Kind: "DestinationRule", NamespacedName: dr.Ref}, fe.Field, fe.Reason)
	}
	g.autoMTLS(c, svc, port, subsetName, tp)
	if !g.proxyless {
		g.reportPlaintextToStrict(name, dr, tp, opts.Paths, eps)
	}
	plan := policy.LocalityPlanFor(tp)
	if c.GetType() == clusterv3.Cluster_STRICT_DNS && c.LoadAssignment != nil {
		c.LoadAssignment = localityAssignment(name, eps, plan, g.proxy)
	}
	g.addCluster(c)
	if c.GetType() == clusterv3.Cluster_EDS {
		g.out.Endpoints = append(g.out.Endpoints, localityAssignment(name, eps, plan, g.proxy))
	}
}

// discovery sets how the cluster finds endpoints: EDS over ADS for
// services the control plane knows the endpoints of, original destination
// for passthrough services, DNS for ServiceEntries that ask for it.
func (g *generator) discovery(c *clusterv3.Cluster, svc *model.Service, eps []model.Endpoint) {
	switch svc.Resolution {
	case model.Passthrough:
		c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_ORIGINAL_DST}
		c.LbPolicy = clusterv3.Cluster_CLUSTER_PROVIDED
	case model.DNS, model.DNSRoundRobin:
		t := clusterv3.Cluster_STRICT_DNS
		if svc.Resolution == model.DNSRoundRobin {
			t = clusterv3.Cluster_LOGICAL_DNS
		}
		c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: t}
		c.DnsLookupFamily = clusterv3.Cluster_V4_ONLY
		c.LoadAssignment = loadAssignment(c.Name, eps)
	default:
		c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS}
		c.EdsClusterConfig = &clusterv3.Cluster_EdsClusterConfig{
			EdsConfig: &corev3.ConfigSource{
				ResourceApiVersion:    corev3.ApiVersion_V3,
				ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
			},
		}
	}
}

func filterEndpoints(eps []model.Endpoint, sel map[string]string) []model.Endpoint {
	var out []model.Endpoint
	for _, e := range eps {
		if selects(sel, e.Labels) || len(sel) == 0 {
			out = append(out, e)
		}
	}
	return out
}

func (g *generator) addCluster(c *clusterv3.Cluster) {
	g.out.Clusters = append(g.out.Clusters, c)
}
