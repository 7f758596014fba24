package console

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

var update = flag.Bool("update", false, "rewrite testdata/*.view.json from the current output")

func modelOf(t testing.TB, file string) *model.Model {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := &bundle.Bundle{}
	if _, err := b.Decode(file, f); err != nil {
		t.Fatal(err)
	}
	return model.Build(b)
}

// TestGolden: every testdata/<case>.in.yaml gives <case>.view.json.
func TestGolden(t *testing.T) {
	ins, _ := filepath.Glob("testdata/*.in.yaml")
	if len(ins) == 0 {
		t.Fatal("no golden inputs")
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(Build(Input{Model: modelOf(t, in)}), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			out := filepath.Join("testdata", name+".view.json")
			if *update {
				if err := os.WriteFile(out, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("%s is stale: run go test ./internal/console -run TestGolden -update and check the diff", out)
			}
		})
	}
}

func edgesTo(g Graph, kind, to string) []Edge {
	var out []Edge
	for _, e := range g.Edges {
		if e.Kind == kind && e.To == to {
			out = append(out, e)
		}
	}
	return out
}

func field(fs []Field, name string) string {
	for _, f := range fs {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

func TestGraphRoutesWeightsMirrorsAndPolicies(t *testing.T) {
	v := Build(Input{Model: modelOf(t, "testdata/reviews.in.yaml")})
	const host = "reviews.bookinfo.svc.cluster.local"
	for subset, want := range map[string]string{"v1": "80%", "v2": "20%"} {
		es := edgesTo(v.Graph, EdgeRoute, subsetID(host, subset))
		if len(es) != 1 || es[0].Label != want || es[0].From != serviceID(host) {
			t.Errorf("route edges to subset %s = %+v, want one from %s labelled %s", subset, es, host, want)
			continue
		}
		d := es[0].Detail
		if field(d, "rule") != "VirtualService bookinfo/reviews" || field(d, "field") == "" {
			t.Errorf("edge to %s does not name its rule and field: %+v", subset, d)
		}
		if got := field(d, "envoy cluster"); got != "outbound|9080|"+subset+"|"+host {
			t.Errorf("edge to %s: envoy cluster %q", subset, got)
		}
		if !strings.Contains(field(d, "policy tls"), "ISTIO_MUTUAL") || field(d, "policy outlierDetection") == "" || field(d, "timeout") != `"3s"` {
			t.Errorf("edge to %s lacks the DestinationRule policies or the timeout: %+v", subset, d)
		}
	}
	m := edgesTo(v.Graph, EdgeMirror, serviceID("ratings.bookinfo.svc.cluster.local"))
	if len(m) != 1 || m[0].Label != "mirror 5%" {
		t.Errorf("mirror edges = %+v, want one labelled mirror 5%%", m)
	}
	// Workloads hang off the subset that selects them; subsets are placed
	// beside their service, workloads beside their subset.
	if es := edgesTo(v.Graph, EdgeEndpoint, workloadID("bookinfo", "reviews-v2-a")); len(es) != 1 || es[0].From != subsetID(host, "v2") {
		t.Errorf("workload edges = %+v, want one from subset v2", es)
	}
	nodes := map[string]Node{}
	for _, n := range v.Graph.Nodes {
		nodes[n.ID] = n
	}
	svc, v1 := nodes[serviceID(host)], nodes[subsetID(host, "v1")]
	if svc.X >= v1.X || svc.Y != v1.Y {
		t.Errorf("subset v1 at (%d,%d) is not beside its service at (%d,%d)", v1.X, v1.Y, svc.X, svc.Y)
	}
	if pod := nodes[workloadID("bookinfo", "reviews-v1-a")]; pod.X <= v1.X {
		t.Errorf("workload reviews-v1-a at x %d is not right of its subset at x %d", pod.X, v1.X)
	}
	if len(v.Graph.Groups) != 1 || v.Graph.Groups[0].Namespace != "bookinfo" {
		t.Errorf("groups = %+v, want one for bookinfo", v.Graph.Groups)
	}
	if v.Telemetry {
		t.Error("the view claims telemetry, which sailplane does not have yet")
	}
}

func TestConfigShowsMissingSubsetProblem(t *testing.T) {
	v := Build(Input{Model: modelOf(t, "testdata/reviews.in.yaml")})
	var ratings, reviews *Object
	for i, o := range v.Objects {
		if o.Kind == "VirtualService" && o.Name == "ratings" {
			ratings = &v.Objects[i]
		}
		if o.Kind == "VirtualService" && o.Name == "reviews" {
			reviews = &v.Objects[i]
		}
	}
	if ratings == nil || reviews == nil {
		t.Fatalf("objects lack the VirtualServices: %+v", v.Objects)
	}
	if ratings.Accepted || len(ratings.Problems) == 0 || !strings.Contains(ratings.Problems[0].Reason, `"v9"`) {
		t.Errorf("VirtualService ratings (subset v9 is missing) = %+v, want not accepted naming v9", *ratings)
	}
	if !reviews.Accepted {
		t.Errorf("VirtualService reviews should be accepted: %+v", *reviews)
	}
	// The missing subset's route still shows, to the host.
	if es := edgesTo(v.Graph, EdgeRoute, serviceID("ratings.bookinfo.svc.cluster.local")); len(es) != 1 {
		t.Errorf("route edges to ratings = %+v", es)
	}
}

func TestProxyStates(t *testing.T) {
	sent := map[string]string{resource.ClusterType: "a", resource.ListenerType: "b", resource.EndpointType: "c", resource.RouteType: "d"}
	acked := map[string]string{resource.ClusterType: "a", resource.ListenerType: "b", resource.EndpointType: "c", resource.RouteType: "d"}
	stale := map[string]string{resource.ClusterType: "a", resource.ListenerType: "b", resource.EndpointType: "old", resource.RouteType: "d"}
	id := func(pod string) string { return "sidecar~10.1.0.1~" + pod + ".bookinfo~bookinfo.svc.cluster.local" }
	in := []ProxyInput{
		{Status: xdsserver.ProxyStatus{NodeID: id("c"), Sent: sent, Acked: acked, Nacks: map[string]xdsserver.Nack{resource.RouteType: {Version: "d", Error: "bad route"}}}},
		{Status: xdsserver.ProxyStatus{NodeID: id("b"), Sent: sent, Acked: stale}},
		{Status: xdsserver.ProxyStatus{NodeID: id("a"), Generator: "grpc", Sent: sent, Acked: acked}, Resources: 4, Bytes: 900},
	}
	got := Build(Input{Proxies: in}).Proxies
	want := []struct{ name, kind, state string }{
		{"a.bookinfo", "proxyless-grpc", Synced}, {"b.bookinfo", "sidecar", Stale}, {"c.bookinfo", "sidecar", Nacked},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d proxies, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Name != w.name || got[i].Kind != w.kind || got[i].State != w.state {
			t.Errorf("proxy %d = %s %s %s, want %s %s %s", i, got[i].Name, got[i].Kind, got[i].State, w.name, w.kind, w.state)
		}
	}
	if got[0].Bytes != 900 || got[0].Resources != 4 || len(got[0].Types) != 4 {
		t.Errorf("proxy a: size %d/%d, %d types", got[0].Resources, got[0].Bytes, len(got[0].Types))
	}
	if rds := got[2].Types[3]; rds.Type != "RDS" || rds.State != Nacked || rds.Nack != "bad route" {
		t.Errorf("proxy c RDS = %+v", rds)
	}
}

func TestGatewayInFrontOfItsHosts(t *testing.T) {
	v := Build(Input{Model: modelOf(t, "testdata/gateway.in.yaml")})
	nodes := map[string]Node{}
	for _, n := range v.Graph.Nodes {
		nodes[n.ID] = n
	}
	gw, host := nodes[gatewayID("bookinfo/bookinfo-gateway")], nodes[serviceID("bookinfo.example.com")]
	if gw.Kind != KindGateway || !strings.Contains(field(gw.Detail, "servers[0]"), "HTTP 8080: bookinfo.example.com") {
		t.Errorf("gateway node = %+v", gw)
	}
	if host.Kind != KindHost {
		t.Errorf("the gateway's public host is a %q node, want %q (not a missing service)", host.Kind, KindHost)
	}
	if es := edgesTo(v.Graph, EdgeGateway, host.ID); len(es) != 1 || es[0].From != gw.ID {
		t.Errorf("gateway edges = %+v", es)
	}
	if gw.Y >= host.Y {
		t.Errorf("the gateway (y %d) is not above the host it fronts (y %d)", gw.Y, host.Y)
	}
	if n := nodes[serviceID("nowhere.bookinfo.svc.cluster.local")]; n.Kind != KindMissing {
		t.Errorf("a destination not in the registry is a %q node, want %q", n.Kind, KindMissing)
	}
	if es := edgesTo(v.Graph, EdgeRoute, serviceID("productpage.bookinfo.svc.cluster.local")); len(es) != 1 || field(es[0].Detail, "envoy cluster") != "outbound|9080||productpage.bookinfo.svc.cluster.local" {
		t.Errorf("route to productpage = %+v", es)
	}
}
