package trust

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	loadstatsv3 "github.com/envoyproxy/go-control-plane/envoy/service/load_stats/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/test/envtestutil"
)

// TestLoadReportsCarryTheVerifiedIdentity reports load on the
// authenticated port: as another pod's node the stream is refused; as its
// own, the report becomes istio_requests_total with the caller's SPIFFE
// id as source_principal.
func TestLoadReportsCarryTheVerifiedIdentity(t *testing.T) {
	a := makeWorkload(t, "trust-lrs", "ratings", "ratings-a", "10.14.0.5", map[string]string{"app": "ratings", "version": "v3"})
	b := makeWorkload(t, "trust-lrs", "ratings", "ratings-b", "10.14.0.6", nil)
	roots, _ := meshRoots(t, a.ns)
	conn := dial(t, cp.secure, dialOpts{tls: proxyTLS(roots), token: boundToken(t, a, defaults.TokenAudience)})
	lrs := loadstatsv3.NewLoadReportingServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	other, err := lrs.StreamLoadStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = other.Send(&loadstatsv3.LoadStatsRequest{Node: &corev3.Node{Id: b.nodeID()}})
	if _, err := other.Recv(); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("reporting as another pod: %v, want PermissionDenied", err)
	}

	own, err := lrs.StreamLoadStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := own.Send(&loadstatsv3.LoadStatsRequest{Node: &corev3.Node{Id: a.nodeID()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := own.Recv(); err != nil {
		t.Fatalf("reporting as its own pod: %v", err)
	}
	cluster := "outbound|9080||reviews.trust-lrs.svc.cluster.local"
	if err := own.Send(&loadstatsv3.LoadStatsRequest{ClusterStats: []*endpointv3.ClusterStats{{
		ClusterName:           cluster,
		UpstreamLocalityStats: []*endpointv3.UpstreamLocalityStats{{TotalSuccessfulRequests: 4}},
	}}}); err != nil {
		t.Fatal(err)
	}
	principal := "spiffe://" + defaults.TrustDomain + "/ns/trust-lrs/sa/ratings"
	envtestutil.WaitFor(t, 20*time.Second, "the report in /metrics", func() bool {
		for _, line := range strings.Split(metricsText(t), "\n") {
			if strings.HasPrefix(line, "istio_requests_total{") && strings.Contains(line, `source_principal="`+principal+`"`) &&
				strings.Contains(line, `source_workload="ratings-a"`) && strings.Contains(line, `destination_service="reviews.trust-lrs.svc.cluster.local"`) &&
				strings.HasSuffix(line, " 4") {
				return true
			}
		}
		return false
	})
}

func metricsText(t *testing.T) string {
	t.Helper()
	resp, err := http.Get("http://" + cp.monitoring + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}
