package telemetry

import (
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

const mesh = `
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec:
  clusterIP: 10.96.0.10
  selector: {app: reviews}
  ports: [{name: grpc, port: 9080, targetPort: 9080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-1, namespace: shop, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
ports: [{name: grpc, port: 9080}]
endpoints:
- addresses: [10.1.0.1]
  conditions: {ready: true}
  targetRef: {kind: Pod, name: reviews-v1-7d9c4b6b8-abcde, namespace: shop}
- addresses: [10.1.0.2]
  conditions: {ready: true}
  targetRef: {kind: Pod, name: reviews-v2-5f6c8d7b9-fghij, namespace: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v1-7d9c4b6b8-abcde, namespace: shop, labels: {app: reviews, version: v1, pod-template-hash: 7d9c4b6b8}}
spec: {containers: [{name: app, image: x}]}
status: {podIP: 10.1.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v2-5f6c8d7b9-fghij, namespace: shop, labels: {app: reviews, version: v2, pod-template-hash: 5f6c8d7b9}}
spec: {containers: [{name: app, image: x}]}
status: {podIP: 10.1.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: web-6b7f9c5d4-klmno, namespace: shop, labels: {app: web, pod-template-hash: 6b7f9c5d4, service.istio.io/canonical-name: storefront}}
spec: {containers: [{name: app, image: x}]}
status: {podIP: 10.1.0.9}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec:
  host: reviews
  subsets:
  - {name: stable, labels: {version: v1}}
`

func directory(t *testing.T) *Directory {
	t.Helper()
	b := &bundle.Bundle{}
	if _, err := b.Decode("mesh.yaml", strings.NewReader(mesh)); err != nil {
		t.Fatal(err)
	}
	return NewDirectory(model.Build(b))
}

func webNode() *corev3.Node {
	return &corev3.Node{Id: names.NodeID(names.Node{Type: names.Sidecar, IP: "10.1.0.9", Pod: "web-6b7f9c5d4-klmno", Namespace: "shop", Domain: "cluster.local"})}
}

func report(cluster string, ok, failed uint64) *endpointv3.ClusterStats {
	return &endpointv3.ClusterStats{ClusterName: cluster, UpstreamLocalityStats: []*endpointv3.UpstreamLocalityStats{
		{Locality: &corev3.Locality{Zone: "a"}, TotalSuccessfulRequests: ok / 2, TotalErrorRequests: failed},
		{Locality: &corev3.Locality{Zone: "b"}, TotalSuccessfulRequests: ok - ok/2, TotalRequestsInProgress: 3, TotalIssuedRequests: ok + failed},
	}}
}

// series maps an increment's labels by name.
func series(inc Increment) map[string]string {
	m := map[string]string{}
	for i, n := range requestLabels {
		m[n] = inc.Labels[i]
	}
	return m
}

func TestSubsetClusterNamesItsVersionAndOnlyWorkload(t *testing.T) {
	incs := Increments(directory(t), webNode(), "spiffe://cluster.local/ns/shop/sa/web",
		[]*endpointv3.ClusterStats{report(names.OutboundCluster(9080, "stable", "reviews.shop.svc.cluster.local"), 10, 3)})
	if len(incs) != 2 || incs[0].By != 10 || incs[1].By != 3 {
		t.Fatalf("increments %+v, want 10 successes and 3 failures summed over localities", incs)
	}
	ok, failed := series(incs[0]), series(incs[1])
	want := map[string]string{
		"reporter": "source", "source_workload": "web", "source_workload_namespace": "shop", "source_app": "web",
		"source_version": Unknown, "source_canonical_service": "storefront", "source_canonical_revision": "latest",
		"source_principal":    "spiffe://cluster.local/ns/shop/sa/web",
		"destination_service": "reviews.shop.svc.cluster.local", "destination_service_name": "reviews",
		"destination_service_namespace": "shop", "destination_version": "v1", "destination_workload": "reviews-v1",
		"destination_workload_namespace": "shop", "destination_canonical_service": "reviews",
		"destination_canonical_revision": "v1", "request_protocol": "grpc", "response_code": "200",
		"grpc_response_status": "0", "destination_principal": Unknown, "connection_security_policy": Unknown,
	}
	for k, v := range want {
		if ok[k] != v {
			t.Errorf("%s = %q, want %q", k, ok[k], v)
		}
	}
	if failed["response_code"] != Unknown || failed["grpc_response_status"] != Unknown {
		t.Errorf("a failure's codes are %q/%q: a load report does not carry them", failed["response_code"], failed["grpc_response_status"])
	}
}

func TestClusterOfSeveralWorkloadsLeavesTheWorkloadUnknown(t *testing.T) {
	incs := Increments(directory(t), webNode(), "", []*endpointv3.ClusterStats{report(names.OutboundCluster(9080, "", "reviews.shop.svc.cluster.local"), 4, 0)})
	if len(incs) != 1 {
		t.Fatalf("increments %+v", incs)
	}
	s := series(incs[0])
	for _, k := range []string{"destination_workload", "destination_version", "destination_app", "source_principal"} {
		if s[k] != Unknown {
			t.Errorf("%s = %q, want unknown", k, s[k])
		}
	}
	if s["destination_service_name"] != "reviews" {
		t.Errorf("destination_service_name %q", s["destination_service_name"])
	}
}

func TestUnknownPodFallsBackToNodeMetadata(t *testing.T) {
	meta, _ := structpb.NewStruct(map[string]any{"WORKLOAD_NAME": "batch", "LABELS": map[string]any{"app": "batch", "version": "v7"}})
	node := &corev3.Node{Id: names.NodeID(names.Node{Type: names.Sidecar, IP: "10.1.0.50", Pod: "batch-x", Namespace: "jobs", Domain: "cluster.local"}), Metadata: meta}
	s := series(Increments(directory(t), node, "", []*endpointv3.ClusterStats{report("PassthroughCluster", 1, 0)})[0])
	if s["source_workload"] != "batch" || s["source_app"] != "batch" || s["source_version"] != "v7" || s["source_workload_namespace"] != "jobs" {
		t.Errorf("source from metadata: %v", s)
	}
	if s["destination_service"] != "PassthroughCluster" || s["destination_service_name"] != Unknown {
		t.Errorf("a cluster that is no service: %v", s)
	}
}

func TestReportsOfUnparsableNodesAreDropped(t *testing.T) {
	if incs := Increments(directory(t), &corev3.Node{Id: "not-a-node"}, "", []*endpointv3.ClusterStats{report("x", 1, 1)}); incs != nil {
		t.Errorf("increments %+v for a node id of no known shape", incs)
	}
}
