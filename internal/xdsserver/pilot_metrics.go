package xdsserver

import (
	"fmt"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sailplane/sailplane/internal/metrics"
)

// Buckets of istiod's histograms (pilot/pkg/xds/monitoring.go), kept so
// Istio's control-plane dashboard reads the same boundaries.
var (
	pushTimeBuckets    = []float64{.01, .1, 1, 3, 5, 10, 20, 30}
	convergenceBuckets = []float64{.1, .5, 1, 3, 5, 10, 20, 30}
	configSizeBuckets  = []float64{1, 10000, 1000000, 4000000, 10000000, 40000000}
)

// pilotMetrics are the xDS server's series under istiod's names and
// labels, where they mean what istiod's mean, plus sailplane's own per
// proxy. Every collector is shared through metrics.Register, so replicas
// run in one process (tests) add up rather than hide each other.
type pilotMetrics struct {
	// xds is pilot_xds: connected proxies by the version they announce.
	xds *prometheus.GaugeVec
	// pushes is pilot_xds_pushes: responses written, by type (lds, rds,
	// cds, eds, sds).
	pushes *prometheus.CounterVec
	// rejects is pilot_total_xds_rejects: NACKs, by type.
	rejects *prometheus.CounterVec
	// pushTime is pilot_xds_push_time: from a publish handing a proxy its
	// snapshot to the response of one type being written.
	pushTime *prometheus.HistogramVec
	// configSize is pilot_xds_config_size_bytes: bytes of each response.
	configSize *prometheus.HistogramVec
	// convergence is pilot_proxy_convergence_time: from the start of the
	// reconcile that saw a change to a proxy having been sent every type of
	// the snapshot it produced.
	convergence prometheus.Histogram
	// proxyBytes is sailplane_xds_proxy_config_bytes: the encoded size of
	// the configuration each connected proxy is served now.
	proxyBytes *prometheus.GaugeVec
}

func newPilotMetrics(reg prometheus.Registerer) *pilotMetrics {
	return &pilotMetrics{
		xds: metrics.Register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pilot_xds",
			Help: "Number of endpoints connected to this pilot using XDS.",
		}, []string{"version"})),
		pushes: metrics.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pilot_xds_pushes",
			Help: "Pilot build and send errors for lds, rds, cds and eds.",
		}, []string{"type"})),
		rejects: metrics.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pilot_total_xds_rejects",
			Help: "Total number of XDS responses from pilot rejected by proxy.",
		}, []string{"type"})),
		pushTime: metrics.Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pilot_xds_push_time",
			Help:    "Total time in seconds Pilot takes to push lds, rds, cds and eds.",
			Buckets: pushTimeBuckets,
		}, []string{"type"})),
		configSize: metrics.Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pilot_xds_config_size_bytes",
			Help:    "Distribution of configuration sizes pushed to clients",
			Buckets: configSizeBuckets,
		}, []string{"type"})),
		convergence: metrics.Register(reg, prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pilot_proxy_convergence_time",
			Help:    "Delay in seconds between config change and a proxy receiving all required configuration.",
			Buckets: convergenceBuckets,
		})),
		proxyBytes: metrics.Register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sailplane_xds_proxy_config_bytes",
			Help: "Encoded size of the configuration (every type) a connected proxy is served, by node id.",
		}, []string{"proxy"})),
	}
}

// shortType is istiod's name for a resource type in its metric labels.
func shortType(typeURL string) string {
	switch typeURL {
	case resource.ListenerType:
		return "lds"
	case resource.RouteType:
		return "rds"
	case resource.ClusterType:
		return "cds"
	case resource.EndpointType:
		return "eds"
	case resource.SecretType:
		return "sds"
	}
	return typeURL
}

// versionOf is the pilot_xds version label of a proxy: Istio's
// ISTIO_VERSION node metadata when it sends one, else the version its user
// agent announces (upstream Envoy's build, grpc-go's release).
func versionOf(node *corev3.Node) string {
	if v := node.GetMetadata().GetFields()["ISTIO_VERSION"].GetStringValue(); v != "" {
		return v
	}
	if v := node.GetUserAgentVersion(); v != "" {
		return v
	}
	if b := node.GetUserAgentBuildVersion().GetVersion(); b != nil {
		return semver(b.GetMajorNumber(), b.GetMinorNumber(), b.GetPatch())
	}
	return "unknown"
}

func semver(major, minor, patch uint32) string {
	return fmt.Sprintf("%d.%d.%d", major, minor, patch)
}

// pushStamp is when a publish saw its change and when it handed the
// snapshots out; a snapshot made to answer a request (a proxyless client's
// new names) has none, and its responses time nothing.
type pushStamp struct {
	changed, published time.Time
}

// Stamp records on a snapshot the start of the reconcile that produced it
// (the change) and the moment it is published, for the push-time and
// convergence histograms. Call it before SetSnapshot.
func (s *Snapshot) Stamp(changed, published time.Time) {
	s.stamp = pushStamp{changed: changed, published: published}
}

// pushProgress is, for one proxy, which types of its current snapshot have
// been written and whether it converged on it (callers hold the tracker's
// lock).
type pushProgress struct {
	snap      *Snapshot
	sent      [numTypes]bool
	converged bool
}

// observeSent counts a response written to a stream and, when it carries
// a stamped snapshot's version of its type, times the push and, once the
// proxy has every type of that snapshot it subscribes to, its
// convergence. A snapshot published before the proxy connected (it was
// served from the cache on connecting) times nothing.
func (s *Server) observeSent(ch channel, streamKey int64, typeURL, version string, size int) {
	m := s.metrics
	short := shortType(typeURL)
	m.pushes.WithLabelValues(short).Inc()
	m.configSize.WithLabelValues(short).Observe(float64(size))
	node := s.tracker.nodeOfStream(streamKey)
	snap, ok := s.ports[ch].cache.GetSnapshot(node)
	if !ok || snap.stamp.published.IsZero() || snap.Version(typeURL) != version {
		return
	}
	first, converged := s.tracker.progress(node, snap, typeURL)
	now := time.Now()
	if first {
		m.pushTime.WithLabelValues(short).Observe(now.Sub(snap.stamp.published).Seconds())
	}
	if converged {
		m.convergence.Observe(now.Sub(snap.stamp.changed).Seconds())
	}
}

// progress records that the node was written typeURL of snap. first is
// whether that type of that snapshot was not written before; converged
// whether every type the node subscribes to now carries snap's version,
// for the first time (both false for a node that connected after snap's
// change).
func (t *Tracker) progress(nodeID string, snap *Snapshot, typeURL string) (first, converged bool) {
	i, ok := typeIndex(typeURL)
	if !ok {
		return false, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.proxies[nodeID]
	if p == nil || p.Connected.After(snap.stamp.changed) {
		return false, false
	}
	if p.push.snap != snap {
		p.push = pushProgress{snap: snap}
	}
	first = !p.push.sent[i]
	p.push.sent[i] = true
	if p.push.converged {
		return first, false
	}
	// Every type an open stream asked for (Subscribed leaves out types
	// asked for by wildcard).
	for _, subs := range p.streamSubs {
		for url := range subs {
			if v := snap.Version(url); v != "" && p.Sent[url] != v {
				return first, false
			}
		}
	}
	p.push.converged = true
	return first, true
}

// bytes is the encoded size of every resource in the snapshot. Each set
// counts its own once: groups share most sets, and an endpoint change
// gives every group a new snapshot whose clusters, listeners and routes
// are the sets it had (counting per snapshot walked every group's 3000
// items on each change).
func (s *Snapshot) bytes() int {
	n := 0
	for _, set := range s.sets {
		if set != nil {
			n += set.bytes()
		}
	}
	return n
}

// bytes is the encoded size of the set's resources, counted once.
func (s *typeSet) bytes() int {
	s.sizeOnce.Do(func() {
		for _, run := range s.runs {
			s.size += valueBytes(run)
		}
	})
	return s.size
}
