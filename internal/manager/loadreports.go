package manager

import (
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/sailplane/sailplane/internal/telemetry"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

// loadReports exports the load reports the xDS server receives as
// istio_requests_total on the monitoring port; the reporter's principal is
// the identity it proved (none on the plaintext port).
func loadReports(s *xdsserver.Server) *telemetry.Requests {
	req := telemetry.NewRequests(ctrlmetrics.Registry)
	s.OnLoadReport(func(rep xdsserver.Reporter, stats []*endpointv3.ClusterStats) {
		principal := ""
		if rep.Identity != nil {
			principal = rep.Identity.SPIFFE()
		}
		req.Record(rep.Node, principal, stats)
	})
	return req
}
