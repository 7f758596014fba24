package xdsauth

import (
	"context"
	"net"
	"strings"
	"testing"

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
	r := NewTokenReviewer(cs.AuthenticationV1().TokenReviews(), TokenReviewerOptions{Audience: "istio-ca"})
	for i := 1; i <= 2; i++ {
		_, err := r.Review(context.Background(), "some-token")
		if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "cannot review the token") {
			t.Fatalf("review %d: %v, want Unavailable", i, err)
		}
		if r.Reviews() != int64(i) {
			t.Fatalf("after %d reviews Reviews() = %d: the error was cached", i, r.Reviews())
		}
	}
}
