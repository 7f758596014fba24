package manager

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"k8s.io/client-go/kubernetes"
	ctrlmanager "sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/sailplane/sailplane/controllers"
	"github.com/sailplane/sailplane/internal/ca"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/metrics"
	"github.com/sailplane/sailplane/internal/workloadcert"
	"github.com/sailplane/sailplane/internal/xdsauth"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

// trust is the control plane's security: the mesh CA, who callers are,
// and what of theirs they may have.
type trust struct {
	holder  *ca.Holder
	issuer  *workloadcert.Issuer
	serving *workloadcert.Serving
	xdsAuth *xdsauth.Authenticator
	// debugTokens reviews the tokens of people and tools reading the
	// debug endpoints (the API server's own audience, as kubectl's).
	debugTokens *xdsauth.TokenReviewer
	kube        kubernetes.Interface
	opts        Options
	log         logr.Logger
}

func newTrust(kube kubernetes.Interface, opts Options, log logr.Logger) *trust {
	holder := ca.NewHolder()
	reviews := kube.AuthenticationV1().TokenReviews()
	xdsTokens := xdsauth.NewTokenReviewer(reviews, xdsauth.TokenReviewerOptions{
		Audience: defaults.TokenAudience, TrustDomain: opts.TrustDomain, Registerer: ctrlmetrics.Registry,
	})
	issuer := workloadcert.New(holder.Current, opts.WorkloadCertTTL, time.Now)
	issuer.OnIssue(issuedCounter().Inc)
	return &trust{
		holder:  holder,
		issuer:  issuer,
		serving: workloadcert.NewServing(holder.Current, opts.Namespace, opts.WorkloadCertTTL, time.Now),
		xdsAuth: xdsauth.NewAuthenticator(xdsTokens, xdsauth.AuthenticatorOptions{
			TrustDomain: opts.TrustDomain, Registerer: ctrlmetrics.Registry, Log: log.WithName("xds-auth"),
		}),
		debugTokens: xdsauth.NewTokenReviewer(reviews, xdsauth.TokenReviewerOptions{TrustDomain: opts.TrustDomain}),
		kube:        kube,
		opts:        opts,
		log:         log,
	}
}

// issuedCounter is sailplane_workload_certificates_issued_total, or the
// counter an earlier manager in this process registered under that name.
func issuedCounter() prometheus.Counter {
	return metrics.Register(ctrlmetrics.Registry, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sailplane_workload_certificates_issued_total",
		Help: "Workload certificates (SDS default) issued by the mesh CA, first issuances and renewals; one per service account, not per proxy.",
	}))
}

// guardDebug puts the debug endpoints behind TokenReview and a
// SubjectAccessReview; /metrics and the probes stay open.
func (t *trust) guardDebug(handlers map[string]http.Handler) {
	sar := t.kube.AuthorizationV1().SubjectAccessReviews()
	for path, h := range handlers {
		handlers[path] = xdsauth.DebugHandler(h, t.debugTokens, sar, t.opts.Namespace, t.log.WithName("debug-auth"))
	}
}

// add registers the CA's controllers, the certificate renewal and the
// authenticated port with the manager, and ties certificate changes to
// the mesh reconciler.
func (t *trust) add(m ctrlmanager.Manager, s *xdsserver.Server, mesh *controllers.MeshReconciler) error {
	mesh.Secrets = xdsserver.NewSecretsView(t.issuer)
	t.holder.OnChange(mesh.Poke)
	loader := &controllers.CAReconciler{
		Reader: m.GetAPIReader(), Writer: m.GetClient(), Holder: t.holder,
		Namespace: t.opts.Namespace, TrustDomain: t.opts.TrustDomain,
		Events: m.GetEventRecorder("sailplane-ca"), Log: t.log.WithName("ca"),
	}
	if err := loader.SetupWithManager(m); err != nil {
		return err
	}
	roots := &controllers.RootCertReconciler{Client: m.GetClient(), Holder: t.holder, Log: t.log.WithName("rootcert")}
	if err := roots.SetupWithManager(m); err != nil {
		return err
	}
	if err := m.AddReadyzCheck("mesh-ca", func(*http.Request) error {
		if t.holder.Current() == nil {
			return fmt.Errorf("the mesh CA is not loaded yet")
		}
		return nil
	}); err != nil {
		return err
	}
	if err := m.Add(&renewal{issuer: t.issuer, due: mesh.Poke}); err != nil {
		return err
	}
	if t.opts.XDSSecureAddress == "" {
		return nil
	}
	return m.Add(&secureRunnable{trust: t, server: s})
}

// renewal pokes the mesh reconciler whenever a workload certificate is
// due, on every replica (each serves its own proxies).
type renewal struct {
	issuer *workloadcert.Issuer
	due    func()
}

func (r *renewal) NeedLeaderElection() bool { return false }

func (r *renewal) Start(ctx context.Context) error {
	r.issuer.RenewWhenDue(ctx, r.due)
	return nil
}

// secureRunnable serves the authenticated port once the CA is loaded,
// on every replica.
type secureRunnable struct {
	trust  *trust
	server *xdsserver.Server
}

func (x *secureRunnable) NeedLeaderElection() bool { return false }

func (x *secureRunnable) Start(ctx context.Context) error {
	t := x.trust
	lis, err := net.Listen("tcp", t.opts.XDSSecureAddress)
	if err != nil {
		return fmt.Errorf("authenticated xDS address %q: %w", t.opts.XDSSecureAddress, err)
	}
	if _, err := t.holder.Wait(ctx); err != nil {
		_ = lis.Close()
		return nil // stopped before the CA was loaded
	}
	certs := ca.NewCertificateService(t.xdsAuth, t.holder.Current, t.opts.WorkloadCertTTL, time.Now)
	return x.server.ServeSecure(ctx, lis, xdsserver.Secure{
		TLS:      t.serving.TLSConfig(),
		Auth:     t.xdsAuth,
		Register: []func(*grpc.Server){func(g *grpc.Server) { certs.Register(g) }},
	})
}
