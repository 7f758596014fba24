package xdsserver

import (
	"bytes"
	"fmt"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sailplane/sailplane/internal/xds"
)

func testHost(i int, cluster string) *routev3.VirtualHost {
	name := fmt.Sprintf("svc-%d.ns.svc.cluster.local:80", i)
	return &routev3.VirtualHost{Name: name, Domains: []string{name, fmt.Sprintf("svc-%d", i)}, Routes: []*routev3.Route{{
		Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
		Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cluster}}},
	}}}
}

// testTable is route configuration 80 with fields before and after its
// virtual hosts, so their order on the wire is exercised.
func testTable(hosts []*routev3.VirtualHost) *routev3.RouteConfiguration {
	return &routev3.RouteConfiguration{
		Name: "80", VirtualHosts: hosts, ValidateClusters: wrapperspb.Bool(false),
		ResponseHeadersToAdd:           []*corev3.HeaderValueOption{{Header: &corev3.HeaderValue{Key: "x-a", Value: "b"}}},
		MaxDirectResponseBodySizeBytes: wrapperspb.UInt32(4096), IgnorePortInHostMatching: true,
	}
}

func wantMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// A route configuration is encoded host by host: its bytes are Marshal's,
// and a rules change that keeps every other host by pointer encodes only
// the hosts it replaced, across a publish that carried the table's list
// unchanged; a table no publish holds any more lets its hosts' bytes go.
func TestBuilderEncodesRouteTablesHostByHost(t *testing.T) {
	b := NewBuilder()
	hosts := make([]*routev3.VirtualHost, 50)
	for i := range hosts {
		hosts[i] = testHost(i, fmt.Sprintf("outbound|80||svc-%d.ns.svc.cluster.local", i))
	}
	publish := func(what string, r *xds.Resources, wantNew int) {
		t.Helper()
		before := b.hostsMarshalled
		s := mustSnapshot(t, b, r)
		for _, rc := range r.Routes {
			if got := s.Encoded(resource.RouteType, rc.Name); !bytes.Equal(got, wantMarshal(t, rc)) {
				t.Errorf("%s: route configuration %s is not Marshal's bytes", what, rc.Name)
			}
		}
		if n := b.hostsMarshalled - before; n != wantNew {
			t.Errorf("%s: %d virtual hosts encoded anew, want %d", what, n, wantNew)
		}
	}
	first := &xds.Resources{Routes: []*routev3.RouteConfiguration{testTable(hosts)}}
	publish("first publish", first, 50)

	b.Next()
	edited := append([]*routev3.VirtualHost(nil), hosts...)
	edited[7] = testHost(7, "outbound|80|v2|svc-7.ns.svc.cluster.local")
	second := &xds.Resources{Routes: []*routev3.RouteConfiguration{testTable(edited)}}
	publish("one host replaced", second, 1)

	b.Next()
	publish("the same list carried (an endpoint change)", second, 0)

	b.Next()
	again := append([]*routev3.VirtualHost(nil), edited...)
	again[20] = testHost(20, "outbound|80|v2|svc-20.ns.svc.cluster.local")
	again = append(again[:3:3], again[4:]...) // a host deleted
	publish("a host replaced and one deleted after the carried publish", &xds.Resources{Routes: []*routev3.RouteConfiguration{testTable(again)}}, 1)

	b.Next()
	b.Next()
	if n := len(b.cur.hosts) + len(b.prev.hosts); n != 0 {
		t.Errorf("two publishes without the table still hold %d virtual hosts' bytes", n)
	}
	publish("unknown hosts after they were let go", &xds.Resources{Routes: []*routev3.RouteConfiguration{testTable(again)}}, len(again))
}

// Tables too small to split, or with no name, are still Marshal's bytes.
func TestBuilderEncodesSmallAndUnnamedTables(t *testing.T) {
	b := NewBuilder()
	for _, rc := range []*routev3.RouteConfiguration{
		{Name: "inbound|9080||", VirtualHosts: []*routev3.VirtualHost{testHost(1, "c")}},
		{VirtualHosts: []*routev3.VirtualHost{testHost(1, "c"), testHost(2, "d")}},
		{Name: "empty"},
	} {
		raw, _, err := b.marshal(rc)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw, wantMarshal(t, rc)) {
			t.Errorf("route configuration %q: bytes differ from Marshal's", rc.Name)
		}
	}
}
