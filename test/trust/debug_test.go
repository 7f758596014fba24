package trust

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/xdsserver"
	"github.com/sailplane/sailplane/test/envtestutil"
)

// The debug endpoints answer only a caller whose token passes TokenReview
// and who may proxy to the sailplane Service; loopback is no exception.
// The probes and /metrics stay open.
func TestDebugEndpointsNeedCredentials(t *testing.T) {
	reader := makeWorkload(t, controlNS, "debug-reader", "debug-reader-1", "10.17.0.5", nil)
	token := func() string {
		req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}
		out, err := clientset.CoreV1().ServiceAccounts(reader.ns).CreateToken(context.Background(), reader.sa, req, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return out.Status.Token
	}()
	get := func(path, bearer string) int {
		req, err := http.NewRequest(http.MethodGet, "http://"+cp.monitoring+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	for _, path := range []string{xdsserver.ConfigDumpPath + "?proxy=x.y", xdsserver.ProxyStatusPath, xdsserver.SynczPath} {
		if code := get(path, ""); code != http.StatusUnauthorized {
			t.Errorf("%s without credentials: %d, want 401", path, code)
		}
		if code := get(path, "garbage"); code != http.StatusUnauthorized {
			t.Errorf("%s with a malformed token: %d, want 401", path, code)
		}
		if code := get(path, token); code != http.StatusForbidden {
			t.Errorf("%s as a service account without RBAC: %d, want 403", path, code)
		}
	}
	for _, path := range []string{"/metrics", "/healthz", "/readyz"} {
		if code := get(path, ""); code != http.StatusOK {
			t.Errorf("%s without credentials: %d, want 200 (it stays open)", path, code)
		}
	}
	grant(t, reader)
	envtestutil.WaitFor(t, 30*time.Second, "the RBAC grant to apply", func() bool { return get(xdsserver.ProxyStatusPath, token) == http.StatusOK })
}

// grant lets the workload's service account get services/proxy on the
// sailplane Service, the permission the debug endpoints ask for.
func grant(t *testing.T, w workload) {
	t.Helper()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: controlNS, Name: "sailplane-debug"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"services/proxy"},
			ResourceNames: []string{defaults.ControlPlaneService}, Verbs: []string{"get"}}},
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: controlNS, Name: "sailplane-debug"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: w.ns, Name: w.sa}},
	}
	create(t, role, binding)
}
