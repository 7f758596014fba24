package xdsauth

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/proxystatus"
	"github.com/sailplane/sailplane/internal/xdsauth"
)

// certKubeconfig writes a kubeconfig for a client-certificate user in
// system:masters, the shape of local mode's kubeconfig.
func certKubeconfig(t *testing.T, name string) string {
	t.Helper()
	user, err := env.AddUser(envtest.User{Name: name, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// tokenKubeconfig writes a kubeconfig whose user is a bearer token.
func tokenKubeconfig(t *testing.T, token string) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["envtest"] = &clientcmdapi.Cluster{Server: env.Config.Host, CertificateAuthorityData: env.Config.CAData}
	cfg.AuthInfos["user"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "user"}
	cfg.CurrentContext = "envtest"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// A client-certificate user has no bearer token to send: sailctl asks for
// a token of ServiceAccount sailctl, which the debug endpoints accept once
// config/'s RBAC is in place.
func TestSailctlTokenFromClientCertificateKubeconfig(t *testing.T) {
	ctx := context.Background()
	serviceAccount(t, controlPlane, defaults.SailctlServiceAccount)
	grantDebug(t, controlPlane, defaults.SailctlServiceAccount, defaults.ControlPlaneService)

	token, err := proxystatus.Token(ctx, proxystatus.TokenOptions{Kubeconfig: certKubeconfig(t, "alice"), Namespace: controlPlane})
	if err != nil {
		t.Fatal(err)
	}
	reviewer := xdsauth.NewTokenReviewer(kube.AuthenticationV1().TokenReviews(), xdsauth.TokenReviewerOptions{})
	user, err := reviewer.Review(ctx, token)
	if want := "system:serviceaccount:" + controlPlane + ":" + defaults.SailctlServiceAccount; err != nil || user.Username != want {
		t.Fatalf("the requested token reviews as %q, %v; want %q", user.Username, err, want)
	}

	// proxy-status's request, end to end through DebugHandler.
	srv := debugServer(t, "[]")
	client := proxystatus.Client{Addr: strings.TrimPrefix(srv.URL, "http://"), Token: token}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		proxies, err := client.Fetch()
		if err == nil {
			if len(proxies) != 0 {
				t.Fatalf("proxies %+v, want none", proxies)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("proxy-status with sailctl's token: %v", err)
		}
	}
	if _, err := (proxystatus.Client{Addr: client.Addr}).Fetch(); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("proxy-status without a token: %v, want 401", err)
	}
}

func TestSailctlTokenOrder(t *testing.T) {
	ctx := context.Background()
	if tok, err := proxystatus.Token(ctx, proxystatus.TokenOptions{Explicit: "from-flag", Kubeconfig: "/nonexistent"}); err != nil || tok != "from-flag" {
		t.Errorf("explicit token: %q, %v", tok, err)
	}
	if tok, err := proxystatus.Token(ctx, proxystatus.TokenOptions{Kubeconfig: tokenKubeconfig(t, "kubeconfig-token")}); err != nil || tok != "kubeconfig-token" {
		t.Errorf("kubeconfig bearer token: %q, %v", tok, err)
	}
	_, err := proxystatus.Token(ctx, proxystatus.TokenOptions{Kubeconfig: certKubeconfig(t, "bob"), Namespace: "nowhere"})
	if err == nil || !strings.Contains(err.Error(), "ServiceAccount nowhere/sailctl failed") || !strings.Contains(err.Error(), "no --token") {
		t.Errorf("no ServiceAccount sailctl: %v, want an error naming every source tried", err)
	}
}
