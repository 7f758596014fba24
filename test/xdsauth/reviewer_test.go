package xdsauth

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/xdsauth"
)

// clock is a settable clock for the reviewer's cache; the API server keeps
// its own time, so only the cache's decisions move with it.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestBoundTokenNamesPodAndIsCached(t *testing.T) {
	pod := podOf(t, nsA, "reviews", "reviews-v1-0")
	token := boundToken(t, pod, defaults.TokenAudience)
	r := xdsReviewer(xdsauth.TokenReviewerOptions{})
	id, err := r.Identity(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	want := identity.Identity{TrustDomain: defaults.TrustDomain, Namespace: nsA, ServiceAccount: "reviews", PodName: pod.Name, PodUID: string(pod.UID)}
	if id != want {
		t.Fatalf("Identity = %+v, want %+v", id, want)
	}
	if r.Reviews() != 1 {
		t.Fatalf("Reviews() = %d after one review", r.Reviews())
	}
	if again, err := r.Identity(context.Background(), token); err != nil || again != want {
		t.Fatalf("second review: %+v, %v", again, err)
	}
	if r.Reviews() != 1 {
		t.Fatalf("the second review of the same token asked the API server (Reviews() = %d)", r.Reviews())
	}
}

// An accepted token is trusted until its exp, never after, even when
// MaxTTL would allow longer.
func TestAcceptanceExpiresWithTheToken(t *testing.T) {
	pod := podOf(t, nsA, "ratings", "ratings-0")
	token := boundToken(t, pod, defaults.TokenAudience)
	clk := &clock{t: time.Now()}
	r := xdsReviewer(xdsauth.TokenReviewerOptions{MaxTTL: time.Hour, Now: clk.now})
	if _, err := r.Identity(context.Background(), token); err != nil {
		t.Fatal(err)
	}
	clk.advance((minTokenSeconds - 30) * time.Second)
	if _, err := r.Identity(context.Background(), token); err != nil || r.Reviews() != 1 {
		t.Fatalf("before exp: %v, Reviews() = %d, want served from cache", err, r.Reviews())
	}
	clk.advance(60 * time.Second)
	_, _ = r.Identity(context.Background(), token) // the API server's clock has not moved: still valid there
	if r.Reviews() != 2 {
		t.Fatalf("after exp: Reviews() = %d, want the token reviewed again", r.Reviews())
	}
}

// MaxTTL bounds the trust in a long-lived token (a deleted pod's token
// stops working within it).
func TestAcceptanceBoundedByMaxTTL(t *testing.T) {
	pod := podOf(t, nsA, "ratings", "ratings-1")
	token := boundToken(t, pod, defaults.TokenAudience)
	clk := &clock{t: time.Now()}
	r := xdsReviewer(xdsauth.TokenReviewerOptions{MaxTTL: time.Minute, Now: clk.now})
	for range 2 {
		if _, err := r.Identity(context.Background(), token); err != nil {
			t.Fatal(err)
		}
	}
	clk.advance(61 * time.Second)
	if _, err := r.Identity(context.Background(), token); err != nil || r.Reviews() != 2 {
		t.Fatalf("after MaxTTL: %v, Reviews() = %d, want 2", err, r.Reviews())
	}
}

func TestDeletedPodsTokenIsRefused(t *testing.T) {
	pod := podOf(t, nsA, "details", "details-0")
	token := boundToken(t, pod, defaults.TokenAudience)
	if _, err := xdsReviewer(xdsauth.TokenReviewerOptions{}).Identity(context.Background(), token); err != nil {
		t.Fatalf("while the pod exists: %v", err)
	}
	if err := kube.CoreV1().Pods(nsA).Delete(context.Background(), pod.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatal(err)
	}
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		// A fresh reviewer each time: nothing cached from before the deletion.
		if _, err = xdsReviewer(xdsauth.TokenReviewerOptions{}).Identity(context.Background(), token); err != nil {
			break
		}
	}
	if status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), "token refused by the API server") {
		t.Fatalf("token of a deleted pod: %v, want Unauthenticated", err)
	}
}

func TestWrongAudienceIsRefused(t *testing.T) {
	pod := podOf(t, nsA, "reviews", "reviews-aud")
	for _, aud := range [][]string{{"some-other-service"}, nil} {
		token := boundToken(t, pod, aud...)
		_, err := xdsReviewer(xdsauth.TokenReviewerOptions{}).Identity(context.Background(), token)
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("token for audiences %v reviewed for %q: %v, want Unauthenticated", aud, defaults.TokenAudience, err)
		}
	}
}

// A malformed token is refused, and the refusal is cached for a few
// seconds: a proxy reconnecting in a loop costs one review per RefusalTTL.
func TestMalformedTokenRefusedAndRefusalCachedBriefly(t *testing.T) {
	clk := &clock{t: time.Now()}
	r := xdsReviewer(xdsauth.TokenReviewerOptions{RefusalTTL: 5 * time.Second, Now: clk.now})
	for range 3 {
		_, err := r.Identity(context.Background(), "not.a-token")
		if status.Code(err) != codes.Unauthenticated {
			t.Fatalf("malformed token: %v, want Unauthenticated", err)
		}
	}
	if r.Reviews() != 1 {
		t.Fatalf("three refusals cost %d reviews, want 1", r.Reviews())
	}
	clk.advance(6 * time.Second)
	_, _ = r.Identity(context.Background(), "not.a-token")
	if r.Reviews() != 2 {
		t.Fatalf("after RefusalTTL: Reviews() = %d, want the token reviewed again", r.Reviews())
	}
}

// A workload of one namespace cannot claim the node id of another's pod,
// nor of another pod of its own namespace.
func TestTokenOfAnotherNamespaceFailsAuthorizeNode(t *testing.T) {
	pod := podOf(t, nsB, "intruder", "intruder-0")
	id, err := xdsReviewer(xdsauth.TokenReviewerOptions{}).Identity(context.Background(), boundToken(t, pod, defaults.TokenAudience))
	if err != nil {
		t.Fatal(err)
	}
	victim := "sidecar~10.1.0.7~reviews-v1-0." + nsA + "~" + nsA + ".svc.cluster.local"
	err = xdsauth.AuthorizeNode(id, victim)
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), `"`+nsA+`"`) || !strings.Contains(err.Error(), `"`+nsB+`"`) {
		t.Fatalf("AuthorizeNode(%v, %q) = %v, want PermissionDenied naming both namespaces", id, victim, err)
	}
	own := "sidecar~10.1.0.8~intruder-0." + nsB + "~" + nsB + ".svc.cluster.local"
	if err := xdsauth.AuthorizeNode(id, own); err != nil {
		t.Fatalf("AuthorizeNode for its own pod: %v", err)
	}
	other := "sidecar~10.1.0.9~intruder-1." + nsB + "~" + nsB + ".svc.cluster.local"
	if err := xdsauth.AuthorizeNode(id, other); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("AuthorizeNode for another pod of its namespace: %v, want PermissionDenied", err)
	}
}
