// Package promrules checks the Prometheus configuration sailplane ships
// (config/prometheus/prometheus.yml): Prometheus' own loader accepts it,
// and Envoy's stats exposition, for the stat names sailplane's clusters
// and bootstrap produce, comes out of its rules as Istio's
// istio_requests_total, drawn by Kiali's graph queries. No Envoy runs
// here: the exposition is written in the format Envoy documents for
// /stats/prometheus (metric envoy_cluster_upstream_rq, tags
// envoy_cluster_name and envoy_response_code from Envoy's default tag
// extractors).
package promrules

import (
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/config"
	_ "github.com/prometheus/prometheus/discovery/kubernetes" // kubernetes_sd_configs
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"

	"github.com/sailplane/sailplane/internal/inject"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/telemetry"
	"github.com/sailplane/sailplane/test/promtest"
)

const configFile = "../../config/prometheus/prometheus.yml"

func job(t *testing.T, name string) *config.ScrapeConfig {
	t.Helper()
	cfg, err := config.LoadFile(configFile, false, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Prometheus refuses %s: %v", configFile, err)
	}
	for _, sc := range cfg.ScrapeConfigs {
		if sc.JobName == name {
			return sc
		}
	}
	t.Fatalf("%s has no job %s", configFile, name)
	return nil
}

// target applies a job's relabel_configs to a discovered pod target, as
// Prometheus does, and returns the target's labels (job and instance
// added, meta labels dropped); nil when the rules drop the target.
func target(sc *config.ScrapeConfig, discovered map[string]string) map[string]string {
	b := labels.NewBuilder(labels.FromMap(discovered))
	b.Set("job", sc.JobName)
	if !relabel.ProcessBuilder(b, sc.RelabelConfigs...) {
		return nil
	}
	out := map[string]string{}
	b.Labels().Range(func(l labels.Label) {
		if !strings.HasPrefix(l.Name, "__") {
			out[l.Name] = l.Value
		}
	})
	out["instance"] = discovered["__address__"]
	return out
}

func pod(name, app, version, replicaSet, port string) map[string]string {
	return map[string]string{
		"__address__":                                 "10.1.0.9:15090",
		"__meta_kubernetes_namespace":                 "default",
		"__meta_kubernetes_pod_name":                  name,
		"__meta_kubernetes_pod_label_app":             app,
		"__meta_kubernetes_pod_label_version":         version,
		"__meta_kubernetes_pod_controller_kind":       "ReplicaSet",
		"__meta_kubernetes_pod_controller_name":       replicaSet,
		"__meta_kubernetes_pod_container_port_name":   port,
		"__meta_kubernetes_pod_container_port_number": "15090",
	}
}

// exposition is what Envoy's /stats/prometheus shows for the request
// counters of two of sailplane's clusters, with the other stats of those
// clusters and of the server around them.
func exposition(outOK, outFailed, inOK int) string {
	out := names.OutboundCluster(9080, "v1", "reviews.default.svc.cluster.local")
	in := names.InboundCluster(9080, "productpage.default.svc.cluster.local")
	return fmt.Sprintf(`# TYPE envoy_cluster_upstream_rq counter
envoy_cluster_upstream_rq{envoy_response_code="200",envoy_cluster_name="%[1]s"} %[3]d
envoy_cluster_upstream_rq{envoy_response_code="503",envoy_cluster_name="%[1]s"} %[4]d
envoy_cluster_upstream_rq{envoy_response_code="200",envoy_cluster_name="%[2]s"} %[5]d
envoy_cluster_upstream_rq{envoy_response_code="200",envoy_cluster_name="xds-grpc"} 4
# TYPE envoy_cluster_upstream_rq_xx counter
envoy_cluster_upstream_rq_xx{envoy_response_code_class="2",envoy_cluster_name="%[1]s"} %[3]d
# TYPE envoy_cluster_upstream_rq_total counter
envoy_cluster_upstream_rq_total{envoy_cluster_name="%[1]s"} %[6]d
# TYPE envoy_server_live gauge
envoy_server_live{} 1
`, out, in, outOK, outFailed, inOK, outOK+outFailed)
}

// TestEnvoyStatsBecomeIstioRequests scrapes a productpage pod's Envoy
// twice, a minute apart, through the envoy-istio-requests job, and reads
// the result with Kiali's graph queries: productpage sent reviews 30
// requests (6 failed with 503) and received 40.
func TestEnvoyStatsBecomeIstioRequests(t *testing.T) {
	b, err := inject.Bootstrap("sailplane.sailplane-system.svc:15012", inject.ModeRedirect)
	if err != nil {
		t.Fatal(err)
	}
	if !b.GetStatsConfig().GetUseAllDefaultTags().GetValue() {
		t.Fatal("the injected bootstrap does not keep Envoy's default tag extraction, which makes envoy_cluster_name and envoy_response_code")
	}
	sc := job(t, "envoy-istio-requests")
	if target(sc, pod("productpage-v1-6d8f4b7c9-x2x7q", "productpage", "v1", "productpage-v1-6d8f4b7c9", "http")) != nil {
		t.Error("a port other than Envoy's Prometheus port is scraped")
	}
	tl := target(sc, pod("productpage-v1-6d8f4b7c9-x2x7q", "productpage", "v1", "productpage-v1-6d8f4b7c9", "http-envoy-prom"))
	if tl == nil {
		t.Fatal("the Envoy Prometheus port of an injected pod is not scraped")
	}
	if sc.MetricsPath != "/stats/prometheus" {
		t.Errorf("metrics path %s, want Envoy's /stats/prometheus", sc.MetricsPath)
	}

	base := time.Unix(1_700_000_000, 0)
	prom := promtest.New(t)
	first := prom.Ingest(t, exposition(10, 2, 15), base.Add(time.Millisecond), tl, sc.MetricRelabelConfigs)
	prom.Ingest(t, exposition(34, 8, 55), base.Add(time.Minute), tl, sc.MetricRelabelConfigs)
	if len(first) != 3 {
		t.Fatalf("the rules kept %d series, want the 3 request counters of service clusters: %v", len(first), first)
	}
	for _, ls := range first {
		if ls.Get(labels.MetricName) != "istio_requests_total" {
			t.Errorf("series %s kept under another name", ls)
		}
		for _, l := range promtest.KialiLabels {
			if !ls.Has(l) {
				t.Errorf("series %s lacks %s: Kiali skips it", ls, l)
			}
		}
		if ls.Has("envoy_cluster_name") || ls.Has("sp_workload") {
			t.Errorf("series %s keeps a working label", ls)
		}
	}

	edges := map[string]float64{}
	for _, q := range promtest.KialiRequestQueries("default", time.Minute) {
		for _, s := range prom.Query(t, q, base.Add(time.Minute)) {
			m := s.Metric.Map()
			key := fmt.Sprintf("%s/%s -> %s (%s/%s) code=%s", m["source_workload_namespace"], m["source_workload"], m["destination_service"],
				m["destination_workload_namespace"], m["destination_workload"], promtest.KialiCode(m["request_protocol"], m["response_code"], m["grpc_response_status"]))
			edges[key] += s.F * 60
		}
	}
	// The source side, from the scraped pod, in Kiali's internal query;
	// what productpage received has no known source: Kiali's first query
	// draws it from "unknown".
	want := map[string]float64{
		"default/productpage-v1 -> reviews.default.svc.cluster.local (unknown/unknown) code=200":     24,
		"default/productpage-v1 -> reviews.default.svc.cluster.local (unknown/unknown) code=503":     6,
		"unknown/unknown -> productpage.default.svc.cluster.local (default/productpage-v1) code=200": 40,
	}
	if len(edges) != len(want) {
		t.Errorf("Kiali's queries give %v, want %v", edges, want)
	}
	for k, n := range want {
		if got := math.Round(edges[k]); got != n {
			t.Errorf("%s: %v requests in the minute, want %v (all: %v)", k, got, n, edges)
		}
	}

	out := prom.Query(t, `istio_requests_total{reporter="source",response_code="503"}`, base.Add(time.Minute))
	if len(out) != 1 {
		t.Fatalf("503 series: %v", out)
	}
	m := out[0].Metric.Map()
	for k, v := range map[string]string{
		"destination_service_name": "reviews", "destination_service_namespace": "default", "source_app": "productpage",
		"source_version": "v1", "source_canonical_service": "productpage", "source_canonical_revision": "v1",
		"destination_version": "unknown", "response_flags": "unknown", "connection_security_policy": "unknown",
	} {
		if m[k] != v {
			t.Errorf("%s=%q, want %q (series %v)", k, m[k], v, out[0].Metric)
		}
	}
}

// TestMeshDashboardReadsExportedSeries checks config/grafana/mesh.json
// queries only istio_requests_total, the series both the proxyless
// exporter (internal/telemetry) and these rules produce.
func TestMeshDashboardReadsExportedSeries(t *testing.T) {
	sc := job(t, "envoy-istio-requests")
	tl := target(sc, pod("productpage-v1-6d8f4b7c9-x2x7q", "productpage", "v1", "productpage-v1-6d8f4b7c9", "http-envoy-prom"))
	produced := map[string]bool{telemetry.RequestsTotal: true}
	for _, ls := range promtest.New(t).Ingest(t, exposition(1, 1, 1), time.Unix(1_700_000_000, 0), tl, sc.MetricRelabelConfigs) {
		produced[ls.Get(labels.MetricName)] = true
	}
	for _, name := range promtest.DashboardSeries(t, "../../config/grafana/mesh.json") {
		if !produced[name] {
			t.Errorf("config/grafana/mesh.json charts %s, which neither sailplane nor the shipped rules produce", name)
		}
	}
}
