package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"go.uber.org/zap/zapcore"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/sailplane/sailplane/internal/inject"
	"github.com/sailplane/sailplane/internal/manager"
)

// podNamespaceEnv is set by the Deployment through the downward API.
const podNamespaceEnv = "POD_NAMESPACE"

const usageHeader = `Usage: sailplane [flags]

sailplane is a control plane for Envoy that serves Istio's traffic API
(networking.istio.io Gateway, VirtualService, DestinationRule, ServiceEntry, Sidecar)
over ADS, in place of istiod.

Run it against a cluster (in-cluster config, --kubeconfig, $KUBECONFIG or
~/.kube/config), or with --local on an embedded API server:

  sailplane --local --local-apply config/samples

Flags:
`

// options is everything the command line sets.
type options struct {
	kubeconfig string
	manager    manager.Options
	local      bool
	localApply listFlag
	zap        zap.Options
	inject     inject.Settings
}

// parseFlags uses a FlagSet of its own: controller-runtime registers its
// own --kubeconfig on flag.CommandLine, which would clash with ours.
func parseFlags(args []string) (*options, error) {
	o := &options{manager: manager.DefaultOptions(), inject: inject.DefaultSettings()}
	fs := flag.NewFlagSet("sailplane", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHeader)
		fs.PrintDefaults()
	}
	o.bind(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := o.validate(fs.Args()); err != nil {
		// fs.Parse has printed its own errors; print ours the same way.
		fmt.Fprintln(fs.Output(), err)
		return nil, err
	}
	o.localDefaults(setFlags(fs))
	o.inject = o.inject.Complete(o.manager.Namespace)
	if err := o.inject.Validate(); err != nil {
		fmt.Fprintln(fs.Output(), "injection settings:", err)
		return nil, err
	}
	return o, nil
}

func (o *options) bind(fs *flag.FlagSet) {
	m := &o.manager
	fs.StringVar(&o.kubeconfig, "kubeconfig", "",
		"Path to a kubeconfig. Default: in-cluster config, then $KUBECONFIG, then ~/.kube/config.")
	fs.StringVar(&m.XDSAddress, "xds-address", m.XDSAddress,
		"Address of the plaintext xDS (ADS) gRPC server; it never serves secrets. Empty turns it off (the deployment does).")
	fs.StringVar(&m.XDSSecureAddress, "xds-secure-address", m.XDSSecureAddress,
		"Address of the authenticated xDS server (TLS with a mesh-CA certificate; callers present a service-account token, audience istio-ca, or a mesh certificate; SDS and Istio's CSR API). Empty turns it off.")
	fs.StringVar(&m.TrustDomain, "trust-domain", m.TrustDomain,
		"SPIFFE trust domain of workload identities (spiffe://<trust domain>/ns/<ns>/sa/<sa>).")
	fs.DurationVar(&m.WorkloadCertTTL, "workload-cert-ttl", m.WorkloadCertTTL,
		"Lifetime of workload certificates; each is renewed once half of it has passed.")
	fs.IntVar(&m.PushBudgetMiB, "xds-push-budget-mib", m.PushBudgetMiB,
		"MiB of large xDS responses encoded and waiting for the wire at once; bounds memory when many proxies connect together (0: unbounded).")
	fs.StringVar(&m.MemoryLimit, "memory-limit", m.MemoryLimit,
		"Go runtime soft memory limit: \"auto\" (GOMEMLIMIT if set, else 90% of the container's cgroup memory limit, else none), \"off\", or a size such as 1536MiB. Near it the garbage collector works harder and unused memory goes back to the system.")
	fs.DurationVar(&m.LoadReportInterval, "load-report-interval", m.LoadReportInterval,
		"How often proxyless gRPC clients send load reports (LRS), which sailplane exports as istio_requests_total (0: 10s).")
	fs.StringVar(&m.MonitoringAddress, "monitoring-address", m.MonitoringAddress,
		"Address serving /metrics, /healthz and /readyz (\"0\" turns it off).")
	fs.StringVar(&m.WebhookAddress, "webhook-address", m.WebhookAddress,
		"Address of the HTTPS admission webhook server; empty turns it off. Off by default with --local.")
	fs.StringVar(&m.WebhookCertDir, "webhook-cert-dir", m.WebhookCertDir,
		"Directory holding the webhook's serving certificate (tls.crt, tls.key).")
	fs.StringVar(&m.Namespace, "namespace", namespaceDefault(),
		"The control plane's own namespace (holds the leader-election Lease); $"+podNamespaceEnv+" when set.")
	fs.BoolVar(&m.LeaderElect, "leader-elect", false,
		"Elect a leader among replicas; only the leader writes status.")
	fs.BoolVar(&o.local, "local", false,
		"Run on an embedded kube-apiserver and etcd (no cluster needed); writes bin/local/kubeconfig for kubectl.")
	fs.Var(&o.localApply, "local-apply",
		"With --local: YAML/JSON files or directories to apply at start-up (repeatable or comma-separated).")
	o.inject.BindFlags(fs)
	o.zap.BindFlags(fs)
}

func (o *options) validate(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(args, " "))
	}
	if o.local && o.kubeconfig != "" {
		return errors.New("--kubeconfig and --local exclude each other: local mode writes its own kubeconfig")
	}
	if !o.local && len(o.localApply) > 0 {
		return errors.New("--local-apply needs --local")
	}
	return nil
}

// localDefaults changes what the user did not set explicitly: a local run
// has no serving certificate for the webhook, and a person, not a log
// collector, reads its logs (console lines at info level, not JSON; the
// zap-devel mode would also turn on debug noise).
func (o *options) localDefaults(set map[string]bool) {
	if !o.local {
		return
	}
	if !set["webhook-address"] {
		o.manager.WebhookAddress = ""
	}
	if !set["zap-encoder"] && !set["zap-devel"] {
		zap.ConsoleEncoder()(&o.zap)
	}
	if !set["zap-time-encoding"] {
		o.zap.TimeEncoder = zapcore.ISO8601TimeEncoder
	}
}

func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

func namespaceDefault() string {
	if ns := os.Getenv(podNamespaceEnv); ns != "" {
		return ns
	}
	return manager.DefaultNamespace
}

// listFlag collects a flag that may be repeated and may hold a comma list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(value string) error {
	for _, item := range strings.Split(value, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*l = append(*l, item)
		}
	}
	return nil
}
