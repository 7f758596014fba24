package translate

import (
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xds/simulate"
)

// TestWithoutSDSOverGoldens: for every golden case, a proxy on the
// plaintext port is given resources that name no SDS secret (every check
// passes with no secrets at all), whose protos validate, and the group's
// own resources are left as they were.
func TestWithoutSDSOverGoldens(t *testing.T) {
	cases, err := filepath.Glob("testdata/*.in.yaml")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, in := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(in), ".in.yaml"), func(t *testing.T) {
			res := runCase(t, in)
			group := res.Resources
			before := snapshotOf(group)
			plain := xds.WithoutSDS(group)
			if len(plain.Secrets) != 0 {
				t.Errorf("secrets %d", len(plain.Secrets))
			}
			for _, e := range xds.CheckConsistency(plain) {
				t.Errorf("plaintext view: %v", e)
			}
			for _, m := range snapshotOf(plain) {
				if v, ok := m.(interface{ ValidateAll() error }); ok {
					if err := v.ValidateAll(); err != nil {
						t.Errorf("plaintext view: %v", err)
					}
				}
			}
			after := snapshotOf(group)
			for i := range before {
				if !proto.Equal(before[i], after[i]) {
					t.Fatalf("WithoutSDS changed the group's %T", after[i])
				}
			}
		})
	}
}

// snapshotOf clones every resource, in order.
func snapshotOf(r *xds.Resources) []proto.Message {
	var out []proto.Message
	for _, l := range r.Listeners {
		out = append(out, proto.Clone(l))
	}
	for _, c := range r.Clusters {
		out = append(out, proto.Clone(c))
	}
	for _, e := range r.Endpoints {
		out = append(out, proto.Clone(e))
	}
	for _, rc := range r.Routes {
		out = append(out, proto.Clone(rc))
	}
	return out
}

// TestWithoutSDSFailsClosed: on the plaintext port a STRICT workload's
// chains close connections instead of passing them on, a PERMISSIVE one
// still takes plaintext, auto mTLS clusters fall back to their plaintext
// default, and a cluster DestinationRule ISTIO_MUTUAL forces has no
// endpoints.
func TestWithoutSDSFailsClosed(t *testing.T) {
	run := func(name string) *xds.Resources {
		in := filepath.Join("testdata", name+".in.yaml")
		res := runCase(t, in)
		return xds.WithoutSDS(res.Resources)
	}
	strict := run("mtls-inbound-strict")
	for _, port := range []uint32{7070, 9090, 8443} {
		for _, c := range []simulate.Conn{{Port: port}, {Port: port, TLS: true, ALPN: []string{"istio"}, ClientCert: true}} {
			got, err := simulate.Inbound(strict, c)
			if err != nil || got.Refused == "" {
				t.Errorf("STRICT, plaintext port, %+v: %+v, %v; want refused", c, got, err)
			}
		}
	}
	permissive := run("mtls-inbound-permissive")
	if got, err := simulate.Inbound(permissive, simulate.Conn{Port: 9090}); err != nil || got.Refused != "" || got.Cluster != "inbound|9090||echo.default.svc.cluster.local" {
		t.Errorf("PERMISSIVE, plaintext port, plaintext to 9090: %+v, %v", got, err)
	}
	auto := run("mtls-outbound-auto")
	n := 0
	for _, c := range auto.Clusters {
		for _, m := range c.TransportSocketMatches {
			n++
			if m.Name != "tlsMode-disabled" {
				t.Errorf("cluster %s keeps transport socket match %s", c.Name, m.Name)
			}
		}
	}
	if n == 0 {
		t.Error("no auto mTLS cluster keeps its plaintext default")
	}
	in := filepath.Join("testdata", "mtls-outbound-rules.in.yaml")
	res := runCase(t, in)
	forced := map[string]bool{}
	for _, c := range res.Resources.Clusters {
		if c.TransportSocket != nil {
			forced[c.Name] = true
		}
	}
	if len(forced) == 0 {
		t.Fatal("mtls-outbound-rules has no cluster with its own transport socket")
	}
	rules := xds.WithoutSDS(res.Resources)
	for _, c := range rules.Clusters {
		if c.TransportSocket != nil {
			t.Errorf("cluster %s keeps transport socket %s", c.Name, c.TransportSocket.Name)
		}
	}
	for _, e := range rules.Endpoints {
		if forced[e.ClusterName] && len(e.Endpoints) != 0 {
			t.Errorf("cluster %s, which needs mutual TLS, keeps %d localities", e.ClusterName, len(e.Endpoints))
		}
		if !forced[e.ClusterName] && !proto.Equal(e, endpointsOf(res.Resources, e.ClusterName)) {
			t.Errorf("cluster %s's endpoints changed", e.ClusterName)
		}
	}
}

func endpointsOf(r *xds.Resources, cluster string) proto.Message {
	for _, e := range r.Endpoints {
		if e.ClusterName == cluster {
			return e
		}
	}
	return nil
}
