package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/sailplane/sailplane/internal/defaults"
)

// tokenWorkers bounds the concurrent TokenRequests: the API server signs
// each token, and the cores are shared with everything else.
const tokenWorkers = 8

// tokenLifetime outlasts any run; the control plane trusts a review for
// at most two minutes whatever the token's lifetime.
const tokenLifetime = 2 * time.Hour

// Tokens is how the proxies' credentials were issued: the harness's
// set-up, as the kubelet's in a cluster, not the control plane's work.
type Tokens struct {
	Issued, Workers int
	Took            time.Duration
}

// boundToken asks the API server for a token of the pod's service account
// bound to the pod (its name and UID), for the audience proxies present
// to the control plane, as the kubelet projects one into an injected pod.
func boundToken(ctx context.Context, kube kubernetes.Interface, p *Pod) (string, error) {
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		Audiences:         []string{defaults.TokenAudience},
		ExpirationSeconds: ptr.To(int64(tokenLifetime / time.Second)),
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: p.Name, UID: types.UID(p.UID)},
	}}
	out, err := kube.CoreV1().ServiceAccounts(p.Namespace).CreateToken(ctx, p.Service.Name, req, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token of pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	return out.Status.Token, nil
}

// issueTokens gives every proxy a token of its own, bound to its pod.
func (r *Run) issueTokens(ctx context.Context) error {
	n := r.cfg.Proxies
	r.tokens = make([]string, n)
	start := time.Now()
	err := forEach(ctx, n, tokenWorkers, func(ctx context.Context, i int) error {
		t, err := boundToken(ctx, r.cluster.Kube, r.mesh.Pods[i%len(r.mesh.Pods)])
		r.tokens[i] = t
		return err
	})
	r.res.Setup.Tokens = Tokens{Issued: n, Workers: tokenWorkers, Took: time.Since(start)}
	r.progress("issued %d bound tokens in %.1fs", n, r.res.Setup.Tokens.Took.Seconds())
	return err
}

// meshRoots waits until the control plane has published its root in
// every mesh namespace and returns it; the namespaces must agree.
func meshRoots(ctx context.Context, c client.Client, namespaces []string, timeout time.Duration) (*x509.CertPool, error) {
	deadline := time.Now().Add(timeout)
	for {
		var pem []byte
		missing := ""
		for _, ns := range namespaces {
			var cm corev1.ConfigMap
			err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: defaults.RootCertConfigMap}, &cm)
			got := []byte(cm.Data[defaults.RootCertKey])
			if err != nil || len(got) == 0 {
				missing = ns
				break
			}
			if pem != nil && !bytes.Equal(pem, got) {
				return nil, fmt.Errorf("namespaces publish different roots (%s and %s)", namespaces[0], ns)
			}
			pem = got
		}
		if missing == "" {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("ConfigMap %s holds no certificate", defaults.RootCertConfigMap)
			}
			return pool, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("ConfigMap %s/%s not published within %s", missing, defaults.RootCertConfigMap, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// proxyTLS is an injected proxy's TLS to the control plane: the mesh
// root, and the control plane Service's name as the server's.
func proxyTLS(roots *x509.CertPool) *tls.Config {
	return &tls.Config{
		RootCAs:    roots,
		ServerName: defaults.ControlPlaneService + "." + controlPlaneNamespace + ".svc",
		MinVersion: tls.VersionTLS12,
	}
}

// AuthCounts are the control plane's authentication counters, read from
// controller-runtime's metrics registry (the control plane runs in this
// process); differences of two readings are a phase's.
type AuthCounts struct {
	// Reviews are TokenReview calls by result (authenticated, refused,
	// error): one per token not in the reviewer's cache.
	Reviews map[string]int
	// Refusals are callers refused by the authenticated port, by reason;
	// NodeRefusals verified callers refused for the node id they claimed.
	Refusals     map[string]int
	NodeRefusals int
	// Certificates are workload certificates issued (one per service
	// account).
	Certificates int
}

func readAuthCounts() AuthCounts {
	a := AuthCounts{Reviews: map[string]int{}, Refusals: map[string]int{}}
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		return a
	}
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			v := int(m.GetCounter().GetValue())
			label := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" || l.GetName() == "reason" {
					label = l.GetValue()
				}
			}
			switch mf.GetName() {
			case "sailplane_xds_token_reviews_total":
				a.Reviews[label] += v
			case "sailplane_xds_auth_refusals_total":
				a.Refusals[label] += v
			case "sailplane_xds_node_refusals_total":
				a.NodeRefusals += v
			case "sailplane_workload_certificates_issued_total":
				a.Certificates += v
			}
		}
	}
	return a
}

// minus is what happened between b and a.
func (a AuthCounts) minus(b AuthCounts) AuthCounts {
	out := AuthCounts{Reviews: map[string]int{}, Refusals: map[string]int{}, NodeRefusals: a.NodeRefusals - b.NodeRefusals, Certificates: a.Certificates - b.Certificates}
	for k, v := range a.Reviews {
		if d := v - b.Reviews[k]; d != 0 {
			out.Reviews[k] = d
		}
	}
	for k, v := range a.Refusals {
		if d := v - b.Refusals[k]; d != 0 {
			out.Refusals[k] = d
		}
	}
	return out
}

// TotalReviews is every TokenReview call, whatever its result.
func (a AuthCounts) TotalReviews() int {
	n := 0
	for _, v := range a.Reviews {
		n += v
	}
	return n
}

// TotalRefusals is every refusal, at the port or for the node id.
func (a AuthCounts) TotalRefusals() int {
	n := a.NodeRefusals
	for _, v := range a.Refusals {
		n += v
	}
	return n
}
