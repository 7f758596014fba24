package telemetry

import (
	"sync/atomic"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sailplane/sailplane/internal/metrics"
	"github.com/sailplane/sailplane/internal/names"
)

// RequestsTotal is Istio's standard request counter.
const RequestsTotal = "istio_requests_total"

// requestLabels are istio_requests_total's labels, in Istio's names.
var requestLabels = []string{
	"reporter",
	"source_workload", "source_workload_namespace", "source_principal", "source_app", "source_version",
	"source_canonical_service", "source_canonical_revision",
	"destination_service", "destination_service_name", "destination_service_namespace",
	"destination_workload", "destination_workload_namespace", "destination_principal", "destination_app", "destination_version",
	"destination_canonical_service", "destination_canonical_revision",
	"request_protocol", "response_code", "grpc_response_status", "response_flags", "connection_security_policy",
}

// What a load report says, in Istio's label values. A report counts
// requests that succeeded and requests that failed, nothing finer: a
// success is gRPC status OK (0), which gRPC carries over HTTP status 200;
// a failure's status and HTTP code are not in the report, so both are
// unknown. A proxyless client has no proxy to set Envoy's response flags,
// so there are none ("-", Istio's value for none). The client side does
// not know whether its peer required mutual TLS: Istio's source reporter
// says unknown too.
const (
	reporterSource   = "source"
	protocolGRPC     = "grpc"
	codeOK           = "200"
	grpcOK           = "0"
	noResponseFlags  = "-"
	securityReported = Unknown
)

// Increment is one series and how much it grew.
type Increment struct {
	Labels []string // values of requestLabels, in order
	By     uint64
}

// Increments turns one load report of a node into series increments:
// per cluster, the successful and the failed requests of every locality
// added up (the graph has no locality), each a series of its own when
// non-zero. Clusters that are not outbound service clusters are counted
// under their own name as destination_service.
func Increments(dir *Directory, node *corev3.Node, principal string, stats []*endpointv3.ClusterStats) []Increment {
	n, err := names.ParseNodeID(node.GetId())
	if err != nil {
		return nil
	}
	src := dir.Source(n, node.GetMetadata(), principal)
	var out []Increment
	for _, cs := range stats {
		var ok, failed uint64
		for _, l := range cs.GetUpstreamLocalityStats() {
			ok += l.GetTotalSuccessfulRequests()
			failed += l.GetTotalErrorRequests()
		}
		dst := dir.Destination(cs.GetClusterName(), src)
		if ok > 0 {
			out = append(out, Increment{Labels: seriesLabels(src, dst, codeOK, grpcOK), By: ok})
		}
		if failed > 0 {
			out = append(out, Increment{Labels: seriesLabels(src, dst, Unknown, Unknown), By: failed})
		}
	}
	return out
}

func seriesLabels(s Source, d Destination, code, grpcStatus string) []string {
	return []string{
		reporterSource,
		s.Workload, s.Namespace, s.Principal, s.App, s.Version, s.CanonicalService, s.CanonicalRevision,
		d.Service, d.ServiceName, d.ServiceNamespace,
		d.Workload, d.WorkloadNamespace, Unknown, d.App, d.Version, d.CanonicalService, d.CanonicalRevision,
		protocolGRPC, code, grpcStatus, noResponseFlags, securityReported,
	}
}

// Requests exports istio_requests_total from load reports.
type Requests struct {
	total *prometheus.CounterVec
	dir   atomic.Pointer[Directory]
}

// NewRequests registers the counter with reg (nil registers nothing).
func NewRequests(reg prometheus.Registerer) *Requests {
	r := &Requests{total: metrics.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: RequestsTotal,
		Help: "Requests, as proxyless gRPC clients report their load (reporter=source).",
	}, requestLabels))}
	r.dir.Store(NewDirectory(nil))
	return r
}

// SetDirectory makes d the mesh the next reports are read against.
func (r *Requests) SetDirectory(d *Directory) { r.dir.Store(d) }

// Record adds a node's load report to the series.
func (r *Requests) Record(node *corev3.Node, principal string, stats []*endpointv3.ClusterStats) {
	for _, inc := range Increments(r.dir.Load(), node, principal, stats) {
		r.total.WithLabelValues(inc.Labels...).Add(float64(inc.By))
	}
}
