package grpcxds

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/test/promtest"
	"github.com/sailplane/sailplane/test/proxyless"
)

// TestKialiGraphFromLoadReports makes a known number of successful and
// failed calls through grpc-go's xDS client to service ratings (subsets v1
// and v2 of the reviews backends), lets grpc-go report its load to
// sailplane (LRS), scrapes sailplane's /metrics before and after into an
// in-process Prometheus, and evaluates Kiali's own graph queries over the
// scrapes: the edges from the client to ratings v1 and v2 carry exactly
// the calls made, and the failures are errors.
func TestKialiGraphFromLoadReports(t *testing.T) {
	createRatings(t)
	conn, err := grpc.NewClient("xds:///ratings:9080", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := testgrpc.NewTestServiceClient(conn)
	toV2 := []string{"x-target", "v2"}

	// Warm up: routing reaches both subsets, and one call fails, so that
	// every series the measured calls add to exists in the first scrape
	// (a rate needs two samples).
	world.Eventually(t, "ratings routed by header", func() error {
		if r := call(c, toV2...); r.server != "v2" {
			return fmt.Errorf("with the header: %+v", r)
		}
		if r := call(c); r.server != "v1" {
			return fmt.Errorf("without the header: %+v", r)
		}
		return nil
	})
	if code := failingCall(c); code != codes.DeadlineExceeded {
		t.Fatalf("the slow call ended with %v, want DeadlineExceeded", code)
	}
	before := settledScrape(t, -1)

	const okV1, failedV1, okV2 = 12, 5, 7
	for i := 0; i < okV1; i++ {
		if r := call(c); r.server != "v1" || r.code != codes.OK {
			t.Fatalf("call to v1: %+v", r)
		}
	}
	for i := 0; i < failedV1; i++ {
		if code := failingCall(c); code != codes.DeadlineExceeded {
			t.Fatalf("the slow call ended with %v, want DeadlineExceeded", code)
		}
	}
	for i := 0; i < okV2; i++ {
		if r := call(c, toV2...); r.server != "v2" || r.code != codes.OK {
			t.Fatalf("call to v2: %+v", r)
		}
	}
	after := settledScrape(t, ratingsRequests(t, before)+okV1+failedV1+okV2)

	// Two scrapes a minute apart in Prometheus's time, queried at the
	// second over Kiali's one-minute window.
	base := time.Unix(1_700_000_000, 0)
	prom := promtest.New(t)
	target := map[string]string{"job": "sailplane", "instance": proxyless.MonitoringAddr}
	prom.Ingest(t, before, base.Add(time.Millisecond), target, nil)
	prom.Ingest(t, after, base.Add(time.Minute), target, nil)
	edges := map[string]float64{}
	for _, q := range promtest.KialiRequestQueries(namespace, time.Minute) {
		for _, s := range prom.Query(t, q, base.Add(time.Minute)) {
			m := s.Metric.Map()
			for _, l := range promtest.KialiLabels {
				if _, ok := m[l]; !ok {
					t.Errorf("series %v lacks %s: Kiali skips it", s.Metric, l)
				}
			}
			if m["destination_service_name"] != "ratings" {
				continue
			}
			code := promtest.KialiCode(m["request_protocol"], m["response_code"], m["grpc_response_status"])
			key := fmt.Sprintf("%s/%s -> %s %s/%s code=%s", m["source_workload_namespace"], m["source_workload"],
				m["destination_service"], m["destination_workload"], m["destination_canonical_revision"], code)
			edges[key] += s.F * 60
		}
	}
	src := namespace + "/" + world.Client
	want := map[string]float64{
		src + " -> ratings." + namespace + ".svc.cluster.local reviews-v1/v1 code=0":       okV1,
		src + " -> ratings." + namespace + ".svc.cluster.local reviews-v1/v1 code=unknown": failedV1,
		src + " -> ratings." + namespace + ".svc.cluster.local reviews-v2/v2 code=0":       okV2,
	}
	t.Logf("Kiali's edges to ratings (requests in the minute): %v", edges)
	for k, v := range edges {
		if math.Round(v) == 0 {
			delete(edges, k)
		}
	}
	if len(edges) != len(want) {
		t.Errorf("Kiali's graph has edges %v, want %v", edges, want)
	}
	for k, n := range want {
		if got := math.Round(edges[k]); got != n {
			t.Errorf("edge %s: %v requests in the minute, want %v (all: %v)", k, got, n, edges)
		}
	}
}

// failingCall is a call the backend answers too late: the client gives up
// at its deadline, and reports the call as failed.
func failingCall(c testgrpc.TestServiceClient) codes.Code {
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "x-sleep-ms", "1000")
	_, err := c.UnaryCall(ctx, &testgrpc.SimpleRequest{})
	return status.Code(err)
}

// createRatings registers service ratings over the v1 and v2 backends,
// with a DestinationRule naming them as subsets and a VirtualService that
// sends calls with x-target: v2 to v2 and the rest to v1.
func createRatings(t *testing.T) {
	ctx := context.Background()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "ratings", Namespace: namespace},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "reviews"},
			Ports: []corev1.ServicePort{{Name: "grpc", Port: proxyless.ServicePort, TargetPort: intstr.FromInt32(proxyless.BackendPort)}}},
	}
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "ratings-1", Namespace: namespace, Labels: map[string]string{discoveryv1.LabelServiceName: "ratings"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("grpc"), Port: ptr.To[int32](proxyless.BackendPort)}},
	}
	for _, v := range []string{"v1", "v2"} {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{world.BackendIP(v)},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: "reviews-" + v, Namespace: namespace},
		})
	}
	for _, o := range []client.Object{svc, es} {
		// A second run (-count) finds them from the first.
		if err := world.K8s.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	dr := &networkingv1.DestinationRule{}
	dr.Name, dr.Namespace = "ratings", namespace
	world.Apply(t, dr, `{host: ratings, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}`, &dr.Spec)
	vs := &networkingv1.VirtualService{}
	vs.Name, vs.Namespace = "ratings", namespace
	world.Apply(t, vs, `{hosts: [ratings], http: [{match: [{headers: {x-target: {exact: v2}}}], route: [{destination: {host: ratings, subset: v2}}]}, {route: [{destination: {host: ratings, subset: v1}}]}]}`, &vs.Spec)
}

// settledScrape reads /metrics once the requests to ratings add up to
// want (any number when want < 0) and have not changed for three load
// report intervals: every report of the calls made so far has arrived.
func settledScrape(t *testing.T, want int) string {
	t.Helper()
	var last string
	lastN, since := -1, time.Now()
	world.Eventually(t, fmt.Sprintf("load reports adding up to %d requests to ratings", want), func() error {
		body := scrapeMetrics(t)
		n := ratingsRequests(t, body)
		if n != lastN {
			last, lastN, since = body, n, time.Now()
		}
		if (want >= 0 && n != want) || time.Since(since) < 3*time.Second {
			return fmt.Errorf("%d requests to ratings reported", n)
		}
		return nil
	})
	return last
}

// ratingsRequests adds up istio_requests_total of service ratings in a
// scrape.
func ratingsRequests(t *testing.T, body string) int {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	total := 0.0
	for _, m := range fams["istio_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "destination_service_name" && l.GetValue() == "ratings" {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return int(total)
}

func scrapeMetrics(t *testing.T) string {
	t.Helper()
	resp, err := http.Get("http://" + proxyless.MonitoringAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b)) + "\n"
}
