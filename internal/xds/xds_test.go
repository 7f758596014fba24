package xds

import (
	"strings"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

const mesh = `
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  clusterIP: 10.96.0.11
  selector: {app: reviews}
  ports: [{name: http, port: 9080}, {name: grpc-x, port: 7070}]
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v1, namespace: default, labels: {app: reviews, version: v1}}
spec: {containers: [{name: app, image: x}]}
status: {podIP: 10.1.0.1}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-1, namespace: default, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
ports: [{name: http, port: 9080}]
endpoints:
- {addresses: [10.1.0.1], zone: us-east1-b, targetRef: {kind: Pod, name: reviews-v1, namespace: default}}
- {addresses: [10.1.0.2], zone: us-east1-c}
- {addresses: [10.1.0.3], zone: us-east1-c, conditions: {ready: false}}
`

func generate(t *testing.T, pod string, docs ...string) *Resources {
	t.Helper()
	b := &bundle.Bundle{}
	if _, err := b.Decode("test.yaml", strings.NewReader(strings.Join(append([]string{mesh}, docs...), "\n---\n"))); err != nil {
		t.Fatal(err)
	}
	m := model.Build(b)
	w := m.Pods[typesNN("default", pod)]
	if w == nil {
		t.Fatalf("pod %s missing", pod)
	}
	return Generate(m, Proxy{Type: names.Sidecar, Namespace: "default", Labels: w.Labels, IP: w.IP, Workload: w})
}

func TestEndpointsGroupedByLocalityWithIDsAndWeights(t *testing.T) {
	r := generate(t, "reviews-v1")
	for _, e := range r.Endpoints {
		if e.ClusterName != "outbound|9080||reviews.default.svc.cluster.local" {
			continue
		}
		if len(e.Endpoints) != 2 {
			t.Fatalf("want 2 localities, got %d", len(e.Endpoints))
		}
		for _, l := range e.Endpoints {
			if l.Locality == nil || l.LoadBalancingWeight.GetValue() == 0 {
				t.Errorf("locality %v lacks an id or a weight (gRPC rejects or ignores it)", l.Locality)
			}
		}
		c := e.Endpoints[1]
		if c.Locality.Zone != "us-east1-c" || len(c.LbEndpoints) != 1 || c.LoadBalancingWeight.GetValue() != 1 {
			t.Errorf("us-east1-c should hold only the ready endpoint: %v", c)
		}
		return
	}
	t.Fatal("no load assignment for reviews")
}

func TestGRPCPortGetsHTTP2AndInboundChains(t *testing.T) {
	r := generate(t, "reviews-v1")
	var haveInbound []string
	for _, c := range r.Clusters {
		if strings.HasPrefix(c.Name, "inbound|") {
			haveInbound = append(haveInbound, c.Name)
		}
		if c.Name == "outbound|7070||reviews.default.svc.cluster.local" {
			if !strings.Contains(c.TypedExtensionProtocolOptions["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].String(), "http2") {
				t.Errorf("gRPC cluster does not speak HTTP/2: %v", c.TypedExtensionProtocolOptions)
			}
		}
	}
	want := []string{"inbound|7070||reviews.default.svc.cluster.local", "inbound|9080||reviews.default.svc.cluster.local"}
	if strings.Join(haveInbound, ",") != strings.Join(want, ",") {
		t.Errorf("inbound clusters %v, want %v", haveInbound, want)
	}
	if errs := CheckConsistency(r); len(errs) > 0 {
		t.Errorf("inconsistent: %v", errs)
	}
}

func TestCheckConsistencyFindsDanglingReferences(t *testing.T) {
	r := generate(t, "reviews-v1")
	// Point a route at a cluster that does not exist.
	for _, rc := range r.Routes {
		if rc.Name == "9080" {
			rc.VirtualHosts[0].Routes[0].GetRoute().ClusterSpecifier = &routev3.RouteAction_Cluster{Cluster: "outbound|9080|gone|reviews.default.svc.cluster.local"}
		}
	}
	r.Routes = r.Routes[1:] // and drop route configuration "7070" that 0.0.0.0_7070 needs
	errs := CheckConsistency(r)
	joined := ""
	for _, e := range errs {
		joined += e.Error() + "\n"
	}
	for _, want := range []string{`cluster "outbound|9080|gone|reviews.default.svc.cluster.local" missing`, `route configuration "7070" missing`} {
		if !strings.Contains(joined, want) {
			t.Errorf("CheckConsistency missed %s; got:\n%s", want, joined)
		}
	}
}

func TestGroupKeyIgnoresIPButNotLabels(t *testing.T) {
	a := Proxy{Type: names.Sidecar, Namespace: "default", Labels: map[string]string{"app": "r", "version": "v1"}, IP: "10.0.0.1"}
	b := a
	b.IP = "10.0.0.2"
	if GroupKey(a) != GroupKey(b) {
		t.Error("replicas differing only in IP must share a group")
	}
	c := a
	c.Labels = map[string]string{"app": "r", "version": "v2"}
	if GroupKey(a) == GroupKey(c) {
		t.Error("different labels must not share a group (sourceLabels and workloadSelector depend on them)")
	}
}
