package route

import (
	"errors"
	"slices"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/defaults"
)

// dest is a destination that resolved to a cluster.
type dest struct {
	spec    networkingv1.Destination
	cluster string
	weight  uint32
	ops     headerOps
}

// routeAction translates a rule that forwards: destinations, timeout,
// retries, mirrors and rewrites. The returned header ops are the single
// destination's, which belong on the route since there is no weighted
// cluster to hold them.
func (b *builder) routeAction(r *rule) (*routev3.RouteAction, headerOps, bool) {
	dests, ok := b.destinations(r.own.field("route"), r.spec.Route)
	if !ok {
		return nil, headerOps{}, false
	}
	act := &routev3.RouteAction{}
	var single headerOps
	if len(dests) == 1 {
		act.ClusterSpecifier = &routev3.RouteAction_Cluster{Cluster: dests[0].cluster}
		single = dests[0].ops
	} else {
		act.ClusterSpecifier = &routev3.RouteAction_WeightedClusters{WeightedClusters: weightedClusters(dests)}
	}
	act.HashPolicy = b.hashPolicy(r, dests)

	timeout, ok := b.timeout(r.at("timeout"), r.spec.Timeout)
	if !ok {
		return nil, headerOps{}, false
	}
	act.Timeout = timeout
	// Envoy ignores a gRPC client's grpc-timeout header unless this is set;
	// Istio sets it to the route timeout so gRPC deadlines are honoured
	// (0 means: honour them without a cap).
	act.MaxStreamDuration = &routev3.RouteAction_MaxStreamDuration{GrpcTimeoutHeaderMax: durationpb.New(timeout.AsDuration())}

	if act.RetryPolicy, ok = b.retryPolicy(r.at("retries"), r.spec.Retries, len(act.HashPolicy) > 0); !ok {
		return nil, headerOps{}, false
	}
	act.RequestMirrorPolicies = b.mirrors(r)
	if !b.rewrite(r.at("rewrite"), r.spec.Rewrite, act) {
		return nil, headerOps{}, false
	}
	return act, single, true
}

// destinations resolves each destination to a cluster. A destination that
// does not resolve is reported and dropped; with several destinations,
// those of weight 0 get no traffic and are dropped too (Istio: a single
// destination takes all traffic whatever its weight).
func (b *builder) destinations(at loc, in []networkingv1.HTTPRouteDestination) ([]dest, bool) {
	if len(in) > 1 && !slices.ContainsFunc(in, func(d networkingv1.HTTPRouteDestination) bool { return d.Weight > 0 }) {
		b.errs.add(at, "weights sum to 0")
		return nil, false
	}
	var out []dest
	for k, d := range in {
		if len(in) > 1 && d.Weight <= 0 {
			continue
		}
		dat := at.index(k)
		cluster, err := b.clusterFor(dat.obj, d.Destination)
		if err != nil {
			b.errs.add(dat.field("destination"), "%v", err)
			if cluster == "" {
				continue
			}
			// Named but unresolvable (a host not in the registry): Istio
			// keeps the destination, and its share of requests fails.
		}
		ops := b.headerOps(dat.field("headers"), d.Headers)
		out = append(out, dest{spec: d.Destination, cluster: cluster, weight: uint32(max(d.Weight, 0)), ops: ops})
	}
	// Empty when every destination failed to resolve; each is reported.
	return out, len(out) > 0
}

func (b *builder) clusterFor(owner types.NamespacedName, d networkingv1.Destination) (string, error) {
	if b.p.ClusterFor == nil {
		return "", errors.New("no cluster resolver configured")
	}
	return b.p.ClusterFor(owner, d)
}

// weightedClusters keeps the weights as written: Envoy treats them as
// relative to their sum, as Istio does.
func weightedClusters(dests []dest) *routev3.WeightedCluster {
	wc := &routev3.WeightedCluster{}
	for _, d := range dests {
		cw := &routev3.WeightedCluster_ClusterWeight{Name: d.cluster, Weight: wrapperspb.UInt32(d.weight)}
		d.ops.applyToCluster(cw)
		wc.Clusters = append(wc.Clusters, cw)
	}
	return wc
}

// hashPolicy is the consistent-hash policy of the first destination that
// has one: Envoy keeps one hash policy per route, and with weighted
// clusters the policy only picks the host inside the chosen cluster.
func (b *builder) hashPolicy(r *rule, dests []dest) []*routev3.RouteAction_HashPolicy {
	if b.p.HashPolicy == nil {
		return nil
	}
	for _, d := range dests {
		if hp := b.p.HashPolicy(r.own.obj, d.spec); len(hp) > 0 {
			return hp
		}
	}
	return nil
}

// timeout is the route timeout: Istio's default (disabled) when omitted.
func (b *builder) timeout(at loc, t *networkingv1.Timeout) (*durationpb.Duration, bool) {
	if t == nil {
		return durationpb.New(defaults.RouteTimeout), true
	}
	d, ok := b.duration(at, string(*t))
	if !ok {
		return nil, false
	}
	return d, true
}
