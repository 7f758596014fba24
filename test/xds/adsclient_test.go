package xds

import (
	"sort"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/test/adsclient"
)

// sotwClient is a raw state-of-the-world ADS stream that behaves like
// Envoy: wildcard CDS and LDS, then EDS and RDS by name, ACKing each
// response unless told otherwise.
type sotwClient struct{ *adsclient.Stream }

func dialSotW(t *testing.T, addr, nodeID string, opts ...grpc.DialOption) *sotwClient {
	t.Helper()
	return &sotwClient{adsclient.Dial(t, addr, nodeID, opts...)}
}

func (c *sotwClient) send(t *testing.T, typeURL string, names []string, version, nonce string, nack *statuspb.Status) {
	t.Helper()
	if err := c.Send(typeURL, names, version, nonce, nack); err != nil {
		t.Fatal(err)
	}
}

// next waits for the next response of the type.
func (c *sotwClient) next(t *testing.T, typeURL string, timeout time.Duration) *discoveryv3.DiscoveryResponse {
	t.Helper()
	if r := c.Poll(typeURL, timeout); r != nil {
		return r
	}
	t.Fatalf("no %s response within %s (stream: %v)", typeURL, timeout, c.Err())
	return nil
}

// subscribe walks Envoy's start-up sequence and returns what arrived,
// every response ACKed.
func (c *sotwClient) subscribe(t *testing.T) (*xds.Resources, map[string]*discoveryv3.DiscoveryResponse) {
	t.Helper()
	last := map[string]*discoveryv3.DiscoveryResponse{}
	ack := func(typeURL string, names []string) {
		r := c.next(t, typeURL, 20*time.Second)
		last[typeURL] = r
		c.send(t, typeURL, names, r.VersionInfo, r.Nonce, nil)
	}
	c.send(t, resource.ClusterType, nil, "", "", nil)
	ack(resource.ClusterType, nil)
	res := &xds.Resources{Clusters: decode[*clusterv3.Cluster](t, last[resource.ClusterType].Resources)}
	eds := edsNames(res.Clusters)
	c.send(t, resource.EndpointType, eds, "", "", nil)
	ack(resource.EndpointType, eds)
	c.send(t, resource.ListenerType, nil, "", "", nil)
	ack(resource.ListenerType, nil)
	res.Listeners = decode[*listenerv3.Listener](t, last[resource.ListenerType].Resources)
	rds := rdsNames(t, res.Listeners)
	c.send(t, resource.RouteType, rds, "", "", nil)
	ack(resource.RouteType, rds)
	res.Endpoints = decode[*endpointv3.ClusterLoadAssignment](t, last[resource.EndpointType].Resources)
	res.Routes = decode[*routev3.RouteConfiguration](t, last[resource.RouteType].Resources)
	return res, last
}

func decode[T interface {
	*E
	protoMessage
}, E any](t *testing.T, in []*anypb.Any) []T {
	t.Helper()
	out := make([]T, 0, len(in))
	for _, a := range in {
		m := T(new(E))
		if err := a.UnmarshalTo(m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func edsNames(cs []*clusterv3.Cluster) []string {
	var out []string
	for _, c := range cs {
		if c.GetType() == clusterv3.Cluster_EDS {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}

func rdsNames(t *testing.T, ls []*listenerv3.Listener) []string {
	t.Helper()
	var out []string
	for _, l := range ls {
		for _, fc := range l.FilterChains {
			for _, f := range fc.Filters {
				if f.Name != names.HTTPConnectionManagerFilter {
					continue
				}
				var h hcmv3.HttpConnectionManager
				if err := f.GetTypedConfig().UnmarshalTo(&h); err != nil {
					t.Fatal(err)
				}
				if n := h.GetRds().GetRouteConfigName(); n != "" {
					out = append(out, n)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}
