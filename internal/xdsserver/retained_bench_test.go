package xdsserver

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// The reference mesh's sidecars each name some 1600 load assignments and
// a few route tables, and announce a node of Istio's metadata and Envoy's
// extension list. What the server keeps of those requests once it has
// answered them is per-stream memory that grows with proxies × config.

// envoyLike is the mesh one benchmark stream asks for: names load
// assignments and route tables, wildcard clusters and listeners.
type envoyLike struct {
	eds, rds []string
	snap     *Snapshot
}

func newEnvoyLike(t testing.TB, services int) envoyLike {
	var m envoyLike
	var clusters []string
	for i := range services {
		name := fmt.Sprintf("outbound|80||svc-%d.ns-%d.svc.cluster.local", i, i%20)
		clusters = append(clusters, name)
		m.eds = append(m.eds, name)
	}
	r := withEndpoints(resources(clusters...), 80, m.eds...)
	for _, port := range []string{"80", "8080", "9080", "15010"} {
		m.rds = append(m.rds, port)
		r.Routes = append(r.Routes, &routev3.RouteConfiguration{Name: port})
	}
	m.snap = mustSnapshot(t, NewBuilder(), r)
	return m
}

// envoyNode is a node as an Istio sidecar announces it: its metadata and
// Envoy's list of extensions, decoded afresh for every stream.
func envoyNode(t testing.TB, id string) *corev3.Node {
	meta, err := structpb.NewStruct(map[string]any{
		"ISTIO_VERSION": "1.24.0", "NAMESPACE": "ns", "CLUSTER_ID": "Kubernetes", "MESH_ID": "cluster.local",
		"INTERCEPTION_MODE": "REDIRECT", "SERVICE_ACCOUNT": "default", "WORKLOAD_NAME": "a",
		"OWNER": "kubernetes://apis/apps/v1/namespaces/ns/deployments/a", "PILOT_SAN": []any{"istiod.istio-system.svc"},
		"LABELS":         map[string]any{"app": "a", "version": "v1", "pod-template-hash": "5d7f8c9b6"},
		"ANNOTATIONS":    map[string]any{"kubectl.kubernetes.io/default-container": "a", "sidecar.istio.io/status": `{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["workload-socket","credential-socket","workload-certs","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert"]}`},
		"APP_CONTAINERS": "a", "INSTANCE_IPS": "10.0.0.1", "POD_PORTS": `[{"containerPort":9080,"protocol":"TCP"}]`,
	})
	if err != nil {
		t.Fatal(err)
	}
	n := &corev3.Node{Id: id, Cluster: "a.ns", Metadata: meta, UserAgentName: "envoy"}
	for i := range 120 {
		n.Extensions = append(n.Extensions, &corev3.Extension{
			Name:     fmt.Sprintf("envoy.filters.http.extension_%d", i),
			Category: "envoy.filters.http",
			TypeUrls: []string{fmt.Sprintf("type.googleapis.com/envoy.extensions.filters.http.extension_%d.v3.Config", i)},
		})
	}
	return n
}

// envoyClient is one benchmark stream, asking like Envoy: clusters and
// listeners as a wildcard, then the load assignments and route tables by
// name, ACKing each response with the names again.
type envoyClient struct {
	cs    grpc.ClientStream
	delta bool
}

func (m envoyLike) open(ctx context.Context, t testing.TB, ts *testServer, id string, delta bool) *envoyClient {
	method := "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"
	if delta {
		method = "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources"
	}
	cs, err := ts.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method)
	if err != nil {
		t.Fatal(err)
	}
	c := &envoyClient{cs: cs, delta: delta}
	node := envoyNode(t, id)
	for _, ask := range []struct {
		typeURL string
		names   []string
	}{{resource.ClusterType, nil}, {resource.EndpointType, m.eds}, {resource.ListenerType, nil}, {resource.RouteType, m.rds}} {
		c.ask(t, node, ask.typeURL, ask.names)
		node = nil // Envoy sends its node on a stream's first request only
	}
	return c
}

// ask requests a type and ACKs its answer.
func (c *envoyClient) ask(t testing.TB, node *corev3.Node, typeURL string, names []string) {
	if c.delta {
		c.send(t, &discoveryv3.DeltaDiscoveryRequest{Node: node, TypeUrl: typeURL, ResourceNamesSubscribe: names})
		r := c.recv(t, &discoveryv3.DeltaDiscoveryResponse{}).(*discoveryv3.DeltaDiscoveryResponse)
		c.send(t, &discoveryv3.DeltaDiscoveryRequest{TypeUrl: typeURL, ResponseNonce: r.Nonce})
		return
	}
	c.send(t, &discoveryv3.DiscoveryRequest{Node: node, TypeUrl: typeURL, ResourceNames: names})
	r := c.recv(t, &discoveryv3.DiscoveryResponse{}).(*discoveryv3.DiscoveryResponse)
	c.send(t, &discoveryv3.DiscoveryRequest{TypeUrl: typeURL, VersionInfo: r.VersionInfo, ResponseNonce: r.Nonce, ResourceNames: names})
}

func (c *envoyClient) send(t testing.TB, m proto.Message) {
	if err := c.cs.SendMsg(m); err != nil {
		t.Fatal(err)
	}
}

func (c *envoyClient) recv(t testing.TB, into proto.Message) proto.Message {
	r := &rawResponse{msg: into}
	if err := c.cs.RecvMsg(r); err != nil {
		t.Fatal(err)
	}
	return r.msg
}

// allAcked waits until the server has recorded every stream's four ACKs:
// then every request sent has been handled.
func allAcked(t testing.TB, ts *testServer, proxies int) {
	deadline := time.Now().Add(time.Minute)
	for {
		acked := 0
		for _, p := range ts.s.Tracker().Snapshot() {
			if len(p.Acked) == 4 {
				acked++
			}
		}
		if acked == proxies {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d proxies ACKed every type", acked, proxies)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitProxies waits until n proxies are connected.
func waitProxies(t testing.TB, ts *testServer, n int) {
	deadline := time.Now().Add(time.Minute)
	for ts.s.Tracker().connected() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d proxies connected, want %d", ts.s.Tracker().connected(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// live is the heap in use after a collection and the goroutine stacks'
// memory (which RSS holds too: each stream has two goroutines).
func live() (heap, stacks uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, ms.StackInuse
}

// BenchmarkRetainedPerStream opens streams asking like the reference
// mesh's sidecars (half SotW, half Delta) over the real gRPC server and
// reports the live heap each adds once answered and ACKed, as the metric
// retained-KiB/stream, and the goroutine stacks each adds as
// stack-KiB/stream. The figures include the clients' side of each stream
// (same process), which no server change moves. The SotW streams
// name their load assignments in Envoy's order (not sorted) or sorted, as
// sailbench's proxies do; Delta subscriptions are kept sorted either way.
// With SAILPLANE_HEAPPROFILE set it writes the heap profiles of that
// moment there and of the moment before the streams opened to
// <path>.before, to see who holds it (go tool pprof -base <path>.before
// <path>).
func BenchmarkRetainedPerStream(b *testing.B) {
	const services, streams = 1635, 200
	if os.Getenv("SAILPLANE_HEAPPROFILE") != "" {
		runtime.MemProfileRate = 1 << 10 // fine enough to tell who holds small things
	}
	for _, order := range []string{"envoy", "sorted"} {
		b.Run("names="+order, func(b *testing.B) {
			m := newEnvoyLike(b, services)
			if order == "sorted" {
				sort.Strings(m.eds)
			}
			retainedPerStream(b, m, streams)
		})
	}
}

func retainedPerStream(b *testing.B, m envoyLike, streams int) {
	ts := newTestServer(b, Options{}, m.snap)
	var heap, stacks float64
	round := 0
	for b.Loop() {
		round++
		waitProxies(b, ts, 0) // the last round's streams have closed
		ctx, cancel := context.WithCancel(context.Background())
		heap0, stacks0 := live()
		if path := os.Getenv("SAILPLANE_HEAPPROFILE"); path != "" {
			writeHeapProfile(b, path+".before")
		}
		clients := make([]*envoyClient, streams)
		for i := range clients {
			id := fmt.Sprintf("sidecar~10.0.%d.%d~a-%d-%d.ns~ns.svc.cluster.local", i/250, i%250, round, i)
			clients[i] = m.open(ctx, b, ts, id, i%2 == 1)
		}
		allAcked(b, ts, streams)
		heap1, stacks1 := live()
		heap = float64(heap1-min(heap0, heap1)) / float64(streams) / 1024
		stacks = float64(stacks1-min(stacks0, stacks1)) / float64(streams) / 1024
		if path := os.Getenv("SAILPLANE_HEAPPROFILE"); path != "" {
			writeHeapProfile(b, path)
		}
		runtime.KeepAlive(clients)
		cancel()
	}
	b.ReportMetric(heap, "retained-KiB/stream")
	b.ReportMetric(stacks, "stack-KiB/stream")
}

func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}
