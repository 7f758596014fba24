package xdsauth

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/xdsauth"
)

// debugServer serves body behind DebugHandler, the way the monitoring port
// serves the debug endpoints.
func debugServer(t *testing.T, body string) *httptest.Server {
	t.Helper()
	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, body) })
	reviewer := xdsauth.NewTokenReviewer(kube.AuthenticationV1().TokenReviews(), xdsauth.TokenReviewerOptions{})
	srv := httptest.NewServer(xdsauth.DebugHandler(next, reviewer, kube.AuthorizationV1().SubjectAccessReviews(), controlPlane, logr.Discard()))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url, authorization string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// grantDebug lets ns/sa get services/proxy on the sailplane Service, the
// rule config/ gives sailctl.
func grantDebug(t *testing.T, ns, sa, serviceName string) {
	t.Helper()
	ctx := context.Background()
	name := "debug-" + ns + "-" + sa + "-" + serviceName
	_, err := kube.RbacV1().Roles(controlPlane).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"services/proxy"},
			ResourceNames: []string{serviceName}, Verbs: []string{"get"},
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = kube.RbacV1().RoleBindings(controlPlane).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: sa}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// eventuallyStatus polls until the handler answers want: RBAC changes
// reach the API server's authorizer through its informers, and a denial is
// cached for a moment.
func eventuallyStatus(t *testing.T, url, authorization string, want int) string {
	t.Helper()
	var code int
	var body string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if code, _, body = get(t, url, authorization); code == want {
			return body
		}
	}
	t.Fatalf("status %d (%s), want %d", code, body, want)
	return ""
}

func TestDebugHandler(t *testing.T) {
	srv := debugServer(t, "debug data")

	code, hdr, body := get(t, srv.URL, "")
	if code != http.StatusUnauthorized || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") || !strings.Contains(body, "need an Authorization: Bearer <token> header") {
		t.Errorf("no token: %d %v %q, want 401 with WWW-Authenticate", code, hdr.Get("WWW-Authenticate"), body)
	}
	code, hdr, body = get(t, srv.URL, "Bearer garbage")
	if code != http.StatusUnauthorized || !strings.Contains(hdr.Get("WWW-Authenticate"), `error="invalid_token"`) || !strings.Contains(body, "token refused by the API server") {
		t.Errorf("garbage token: %d %v %q, want 401 invalid_token", code, hdr.Get("WWW-Authenticate"), body)
	}
	code, _, body = get(t, srv.URL, "Basic YWRtaW46YWRtaW4=")
	if code != http.StatusUnauthorized || !strings.Contains(body, "not \"Bearer <token>\"") {
		t.Errorf("basic auth: %d %q, want 401", code, body)
	}

	// A token for the API server's audience (what kubectl and sailctl
	// hold), of a service account without RBAC.
	viewer := podOf(t, nsA, "viewer", "viewer-0")
	auth := "Bearer " + boundToken(t, viewer)
	code, _, body = get(t, srv.URL, auth)
	if code != http.StatusForbidden || !strings.Contains(body, `user "system:serviceaccount:mesh-a:viewer" may not get services/proxy "sailplane" in namespace "sailplane-system"`) {
		t.Errorf("no RBAC: %d %q, want 403 naming the user and permission", code, body)
	}

	// Grant services/proxy on another Service to a second account first,
	// then the right one to viewer: once viewer's grant works, the earlier
	// one has reached the authorizer too, so the second account's 403 is
	// not stale.
	other := podOf(t, nsA, "other-viewer", "other-viewer-0")
	grantDebug(t, nsA, "other-viewer", "not-sailplane")
	grantDebug(t, nsA, "viewer", defaults.ControlPlaneService)
	if body := eventuallyStatus(t, srv.URL, auth, http.StatusOK); body != "debug data" {
		t.Errorf("with RBAC: body %q", body)
	}
	if code, _, body = get(t, srv.URL, "Bearer "+boundToken(t, other)); code != http.StatusForbidden {
		t.Errorf("with services/proxy on another Service only: %d %q, want 403", code, body)
	}
}
