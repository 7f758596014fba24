package proxystatus

import (
	"context"
	"fmt"
	"os"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sailplane/sailplane/internal/defaults"
)

// TokenEnv names the variable sailctl reads a debug token from.
const TokenEnv = "SAILPLANE_TOKEN"

// requestedTokenSeconds is the lifetime of a token sailctl asks for: the
// API server's minimum, since one command uses it for seconds.
const requestedTokenSeconds = 600

// TokenOptions say where Token looks.
type TokenOptions struct {
	// Explicit is --token, or $SAILPLANE_TOKEN; used as is when set.
	Explicit string
	// Kubeconfig is a kubeconfig path; empty loads the way kubectl does
	// ($KUBECONFIG, else ~/.kube/config).
	Kubeconfig string
	// Namespace holds ServiceAccount defaults.SailctlServiceAccount (the
	// control plane's namespace).
	Namespace string
}

// Token finds a bearer token for the control plane's debug endpoints, in
// order: the explicit one; the kubeconfig user's bearer token (token or
// tokenFile); else a short-lived token of ServiceAccount sailctl in the
// control plane's namespace, asked for (TokenRequest) with the kubeconfig's
// credentials — so a client-certificate or exec-plugin user, whose
// credential is no bearer token, works too.
func Token(ctx context.Context, o TokenOptions) (string, error) {
	if o.Explicit != "" {
		return o.Explicit, nil
	}
	if o.Namespace == "" {
		o.Namespace = defaults.ControlPlaneNamespace
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.Kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return "", fmt.Errorf("no token for the debug endpoints: no --token, $%s is empty, and no usable kubeconfig: %w", TokenEnv, err)
	}
	if t := strings.TrimSpace(cfg.BearerToken); t != "" {
		return t, nil
	}
	if cfg.BearerTokenFile != "" {
		b, err := os.ReadFile(cfg.BearerTokenFile)
		if err != nil {
			return "", fmt.Errorf("reading the kubeconfig's tokenFile: %w", err)
		}
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, nil
		}
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", fmt.Errorf("no token for the debug endpoints: %w", err)
	}
	secs := int64(requestedTokenSeconds)
	tr, err := cs.CoreV1().ServiceAccounts(o.Namespace).CreateToken(ctx, defaults.SailctlServiceAccount,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &secs}}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("no token for the debug endpoints: no --token, $%s is empty, the kubeconfig's user has no bearer token, "+
			"and asking the API server at %s for a token of ServiceAccount %s/%s failed (deploy it, pass --namespace, "+
			"or let this user create serviceaccounts/token): %w", TokenEnv, cfg.Host, o.Namespace, defaults.SailctlServiceAccount, err)
	}
	return tr.Status.Token, nil
}
