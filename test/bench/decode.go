package bench

import (
	"fmt"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// typeURLs by resource type.
var typeURLs = [numTypes]string{resource.ClusterType, resource.EndpointType, resource.ListenerType, resource.RouteType}

func typeOf(url string) (int, bool) {
	for t, u := range typeURLs {
		if u == url {
			return t, true
		}
	}
	return 0, false
}

// decodeEntry reads what the proxy needs to know about a resource: its
// name and the names it refers to.
func decodeEntry(typ int, raw []byte) (*entry, error) {
	e := &entry{raw: raw}
	switch typ {
	case typeCDS:
		var c clusterv3.Cluster
		if err := proto.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("cluster: %w", err)
		}
		e.name, e.eds = c.Name, c.GetType() == clusterv3.Cluster_EDS
	case typeEDS:
		var c endpointv3.ClusterLoadAssignment
		if err := proto.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("load assignment: %w", err)
		}
		e.name = c.ClusterName
	case typeLDS:
		var l listenerv3.Listener
		if err := proto.Unmarshal(raw, &l); err != nil {
			return nil, fmt.Errorf("listener: %w", err)
		}
		e.name = l.Name
		if err := listenerRefs(&l, e); err != nil {
			return nil, fmt.Errorf("listener %s: %w", l.Name, err)
		}
	case typeRDS:
		var rc routev3.RouteConfiguration
		if err := proto.Unmarshal(raw, &rc); err != nil {
			return nil, fmt.Errorf("route configuration: %w", err)
		}
		e.name, e.clusters = rc.Name, routeClusters(&rc)
	}
	return e, nil
}

func listenerRefs(l *listenerv3.Listener, e *entry) error {
	chains := append([]*listenerv3.FilterChain{l.DefaultFilterChain}, l.FilterChains...)
	for _, fc := range chains {
		for _, f := range fc.GetFilters() {
			switch f.Name {
			case names.HTTPConnectionManagerFilter:
				var h hcmv3.HttpConnectionManager
				if err := f.GetTypedConfig().UnmarshalTo(&h); err != nil {
					return err
				}
				if n := h.GetRds().GetRouteConfigName(); n != "" {
					e.rds = append(e.rds, n)
				}
				if rc := h.GetRouteConfig(); rc != nil {
					e.clusters = append(e.clusters, routeClusters(rc)...)
				}
			case names.TCPProxyFilter:
				var tp tcpv3.TcpProxy
				if err := f.GetTypedConfig().UnmarshalTo(&tp); err != nil {
					return err
				}
				if c := tp.GetCluster(); c != "" {
					e.clusters = append(e.clusters, c)
				}
				for _, w := range tp.GetWeightedClusters().GetClusters() {
					e.clusters = append(e.clusters, w.Name)
				}
			}
		}
	}
	return nil
}

func routeClusters(rc *routev3.RouteConfiguration) []string {
	var out []string
	for _, vh := range rc.VirtualHosts {
		for _, r := range vh.Routes {
			a := r.GetRoute()
			if a == nil {
				continue
			}
			if c := a.GetCluster(); c != "" {
				out = append(out, c)
			}
			for _, w := range a.GetWeightedClusters().GetClusters() {
				out = append(out, w.Name)
			}
			for _, m := range a.GetRequestMirrorPolicies() {
				out = append(out, m.Cluster)
			}
		}
	}
	return out
}

// verdict is what a proxy holding a combination of sets has: a complete
// configuration (everything referenced was received), and whether a
// route or listener names a cluster the proxy does not have (the
// inconsistency the issue forbids: traffic to it would fail).
type verdict struct {
	complete     bool
	inconsistent string
}

// check judges a combination of sets. A verdict is three checks, each
// cached on what it reads (checkKey), since proxies of one group hold the
// same sets and an endpoint change gives every group new load assignments
// but leaves its clusters, listeners and routes, and the names of its load
// assignments, as they were.
func (s *store) check(st [numTypes]*typeState) verdict {
	cds, eds, lds, rds := st[typeCDS], st[typeEDS], st[typeLDS], st[typeRDS]
	v := verdict{complete: cds != nil && eds != nil && lds != nil && rds != nil}
	if cds == nil {
		return v
	}
	v.inconsistent = memoCheck(s, s.refs, checkKey{[2]*typeState{lds, rds}, cds.names}, func() string { return danglingRef(cds, lds, rds) })
	if !v.complete {
		return v
	}
	v.complete = memoCheck(s, s.edsCovered, checkKey{[2]*typeState{cds}, eds.names}, func() bool { return covered(cds, eds) }) &&
		memoCheck(s, s.rdsCovered, checkKey{[2]*typeState{lds}, rds.names}, func() bool { return routesCovered(lds, rds) })
	return v
}

func memoCheck[K comparable, V any](s *store, m map[K]V, k K, f func() V) V {
	s.mu.Lock()
	v, ok := m[k]
	s.mu.Unlock()
	if ok {
		return v
	}
	v = f()
	s.mu.Lock()
	m[k] = v
	s.mu.Unlock()
	return v
}

// danglingRef names the first cluster a listener or route sends to that
// the proxy does not have ("" when there is none).
func danglingRef(cds, lds, rds *typeState) string {
	for _, sets := range []*typeState{lds, rds} {
		if sets == nil {
			continue
		}
		for _, e := range sets.entries {
			for _, c := range e.clusters {
				if cds.entries[c] == nil {
					return fmt.Sprintf("%s names cluster %s, which the proxy does not have", e.name, c)
				}
			}
		}
	}
	return ""
}

// covered reports whether every EDS cluster has its load assignment.
func covered(cds, eds *typeState) bool {
	for _, e := range cds.entries {
		if e.eds && eds.entries[e.name] == nil {
			return false
		}
	}
	return true
}

// routesCovered reports whether every route configuration a listener
// names was received.
func routesCovered(lds, rds *typeState) bool {
	for _, e := range lds.entries {
		for _, r := range e.rds {
			if rds.entries[r] == nil {
				return false
			}
		}
	}
	return true
}

// decodeResources turns a proxy's sets back into protos, for
// xds.CheckConsistency on a sample of proxies.
func decodeResources(st [numTypes]*typeState) (*xds.Resources, error) {
	r := &xds.Resources{}
	for t, set := range st {
		if set == nil {
			continue
		}
		for _, e := range set.entries {
			if err := appendDecoded(r, t, e.raw); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

func appendDecoded(r *xds.Resources, typ int, raw []byte) error {
	var m proto.Message
	switch typ {
	case typeCDS:
		c := &clusterv3.Cluster{}
		r.Clusters, m = append(r.Clusters, c), c
	case typeEDS:
		c := &endpointv3.ClusterLoadAssignment{}
		r.Endpoints, m = append(r.Endpoints, c), c
	case typeLDS:
		l := &listenerv3.Listener{}
		r.Listeners, m = append(r.Listeners, l), l
	case typeRDS:
		rc := &routev3.RouteConfiguration{}
		r.Routes, m = append(r.Routes, rc), rc
	}
	return proto.Unmarshal(raw, m)
}
