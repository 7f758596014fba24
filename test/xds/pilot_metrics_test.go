package xds

import (
	"strings"
	"testing"
	"time"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"

	"github.com/sailplane/sailplane/internal/xdsserver"
	"github.com/sailplane/sailplane/test/envtestutil"
	"github.com/sailplane/sailplane/test/promtest"
)

// TestPilotMetricsAfterAPush connects a proxy, changes a VirtualService,
// rejects the listeners it brings, and reads istiod's series from
// /metrics: connected proxies, pushes and their sizes by type, push and
// convergence times, rejects, registry events and counts, and the bytes
// the proxy is served. Other tests of the suite share the registry, so
// counters are compared before and after.
func TestPilotMetricsAfterAPush(t *testing.T) {
	createMesh(t, "pilotm")
	r := startReplica(t, false)
	before := scrape(t, r)
	node := productpageNode("pilotm")
	c := dialSotW(t, r.xds, node)
	_, last := c.subscribe(t)

	applyVS(t, "pilotm", `{hosts: [reviews], http: [{fault: {abort: {httpStatus: 503, percentage: {value: 50}}}, route: [{destination: {host: reviews}}]}]}`)
	lds := c.next(t, resource.ListenerType, 20*time.Second)
	c.send(t, resource.ListenerType, nil, last[resource.ListenerType].VersionInfo, lds.Nonce, &statuspb.Status{Code: 3, Message: "route to outbound|9080||reviews.pilotm.svc.cluster.local: rejected by the test"})

	var after metricSet
	envtestutil.WaitFor(t, 20*time.Second, "the push to be counted", func() bool {
		after = scrape(t, r)
		return after.sum("pilot_proxy_convergence_time", "_count") > before.sum("pilot_proxy_convergence_time", "_count") &&
			after.value("pilot_total_xds_rejects", map[string]string{"type": "lds"}) > before.value("pilot_total_xds_rejects", map[string]string{"type": "lds"})
	})
	t.Logf("convergence %v push_time lds %v pilot_xds %v", after.sum("pilot_proxy_convergence_time", "_count"), after.histCount("pilot_xds_push_time", "lds"), after.sum("pilot_xds", ""))
	for _, typ := range []string{"cds", "eds", "lds", "rds"} {
		if after.value("pilot_xds_pushes", map[string]string{"type": typ}) <= before.value("pilot_xds_pushes", map[string]string{"type": typ}) {
			t.Errorf("pilot_xds_pushes{type=%q} did not grow", typ)
		}
		if after.histCount("pilot_xds_config_size_bytes", typ) <= before.histCount("pilot_xds_config_size_bytes", typ) {
			t.Errorf("pilot_xds_config_size_bytes{type=%q} observed nothing", typ)
		}
	}
	if after.histCount("pilot_xds_push_time", "lds") <= before.histCount("pilot_xds_push_time", "lds") {
		t.Error("pilot_xds_push_time{type=\"lds\"} did not time the listener push")
	}
	if after.sum("pilot_xds", "") < 1 {
		t.Error("pilot_xds counts no connected proxy")
	}
	if after.value("pilot_k8s_cfg_events", map[string]string{"type": "VirtualService", "event": "add"}) < 1 {
		t.Error("pilot_k8s_cfg_events counted no VirtualService add")
	}
	if after.value("pilot_k8s_reg_events", map[string]string{"type": "Services", "event": "add"}) < 2 {
		t.Error("pilot_k8s_reg_events counted fewer Service adds than the mesh has")
	}
	if after.value("pilot_services", nil) < 2 || after.value("pilot_virt_services", nil) < 1 {
		t.Errorf("pilot_services %v, pilot_virt_services %v", after.value("pilot_services", nil), after.value("pilot_virt_services", nil))
	}
	if after.value("sailplane_xds_proxy_config_bytes", map[string]string{"proxy": node}) <= 0 {
		t.Errorf("sailplane_xds_proxy_config_bytes has no size for %s", node)
	}
	// The NACK names a cluster of reviews, which VirtualService reviews
	// routes to: the rejection is counted on it (after the rebuild the
	// NACK triggers).
	envtestutil.WaitFor(t, 20*time.Second, "the rejection counted on VirtualService reviews", func() bool {
		return scrape(t, r).value("sailplane_xds_rejected_objects", map[string]string{"kind": "VirtualService", "namespace": "pilotm", "name": "reviews"}) == 1
	})
	// istiod's /debug/syncz (Kiali's proxy status) shows the NACK: the
	// rejected listeners sent, older ones acknowledged, clusters in sync.
	var syncz []map[string]string
	getJSON(t, "http://"+r.monitoring+xdsserver.SynczPath, &syncz)
	found := false
	for _, st := range syncz {
		if st["proxy"] != "productpage-v1.pilotm" {
			continue
		}
		found = true
		if st["listener_sent"] != lds.VersionInfo || st["listener_acked"] == lds.VersionInfo || st["cluster_sent"] != st["cluster_acked"] || st["cluster_sent"] == "" {
			t.Errorf("syncz %v: want listeners sent %s and not acknowledged, clusters in sync", st, lds.VersionInfo)
		}
	}
	if !found {
		t.Errorf("/debug/syncz has no productpage-v1.pilotm: %v", syncz)
	}
	// The control-plane dashboard charts only series this scrape has.
	for _, name := range promtest.DashboardSeries(t, "../../config/grafana/control-plane.json") {
		if _, ok := after[name]; !ok {
			t.Errorf("config/grafana/control-plane.json charts %s, which sailplane does not export", name)
		}
	}
}

// metricSet is one scrape, parsed.
type metricSet map[string]*dto.MetricFamily

func scrape(t *testing.T, r *replica) metricSet {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(get(t, "http://"+r.monitoring+"/metrics")))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return fams
}

func matches(m *dto.Metric, labels map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := labels[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(labels)
}

func scalar(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	}
	return 0
}

// value adds up the samples of name whose labels include labels.
func (s metricSet) value(name string, labels map[string]string) float64 {
	total := 0.0
	for _, m := range s[name].GetMetric() {
		if matches(m, labels) {
			total += scalar(m)
		}
	}
	return total
}

// sum is every sample of a gauge or counter, or with suffix "_count" the
// observations of a histogram.
func (s metricSet) sum(name, suffix string) float64 {
	total := 0.0
	for _, m := range s[name].GetMetric() {
		if suffix == "_count" {
			total += float64(m.GetHistogram().GetSampleCount())
			continue
		}
		total += scalar(m)
	}
	return total
}

// histCount is the observations of a histogram with label type=typ.
func (s metricSet) histCount(name, typ string) uint64 {
	var n uint64
	for _, m := range s[name].GetMetric() {
		if matches(m, map[string]string{"type": typ}) {
			n += m.GetHistogram().GetSampleCount()
		}
	}
	return n
}
