package xdsauth

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// An API server that cannot be reached is Unavailable, not a refusal, and
// is asked again on the next call (nothing cached).
func TestUnreachableAPIServerIsUnavailableAndNotCached(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: "https://" + addr, TLSClientConfig: rest.TLSClientConfig{Insecure: true}})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	r := NewTokenReviewer(cs.AuthenticationV1().TokenReviews(), TokenReviewerOptions{Audience: "istio-ca", Registerer: reg})
	for i := 1; i <= 2; i++ {
		_, err := r.Review(context.Background(), "some-token")
		if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "cannot review the token") {
			t.Fatalf("review %d: %v, want Unavailable", i, err)
		}
		if r.Reviews() != int64(i) {
			t.Fatalf("after %d reviews Reviews() = %d: the error was cached", i, r.Reviews())
		}
	}

	// A second reviewer on the same registry (the debug endpoints' one)
	// shares the series instead of failing to register.
	r2 := NewTokenReviewer(cs.AuthenticationV1().TokenReviews(), TokenReviewerOptions{Registerer: reg})
	_, _ = r2.Review(context.Background(), "other-token")
	if got := testCounter(t, reg, "sailplane_xds_token_reviews_total", "error"); got != 3 {
		t.Fatalf("sailplane_xds_token_reviews_total{result=error} = %v, want 3", got)
	}
}

func testCounter(t *testing.T, reg *prometheus.Registry, name, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if mf.GetName() == name && l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
