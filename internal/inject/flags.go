package inject

import (
	"flag"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// BindFlags registers the settings as command-line flags, with s's current
// values as defaults. sailplane and sailctl kube-inject share them, so the
// same flags give the same injected pods.
func (s *Settings) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&s.ProxyImage, "proxy-image", s.ProxyImage, "Envoy image of the injected istio-proxy container.")
	fs.StringVar(&s.InitImage, "init-image", s.InitImage, "sailplane-init image of the injected istio-init container.")
	fs.StringVar(&s.XDSAddress, "proxy-xds-address", "",
		"host:port of the authenticated ADS server (TLS verified against ConfigMap istio-ca-root-cert, "+
			"service-account token) as injected proxies dial it; the host must be a DNS name in its serving certificate. "+
			"Default: sailplane.<namespace>.svc:15012.")
	fs.BoolVar(&s.NativeSidecars, "native-sidecars", s.NativeSidecars,
		"Inject istio-proxy as a Kubernetes native sidecar (init container with restartPolicy Always).")
	fs.BoolVar(&s.HoldApplicationUntilProxyStarts, "hold-application-until-proxy-starts", s.HoldApplicationUntilProxyStarts,
		"Start application containers only once Envoy is ready (needs --native-sidecars).")
	fs.StringVar(&s.InterceptionMode, "interception-mode", s.InterceptionMode,
		"Default traffic interception: REDIRECT, TPROXY or NONE (annotation sidecar.istio.io/interceptionMode overrides).")
	fs.StringVar(&s.ExcludeOutboundIPRanges, "exclude-outbound-ip-ranges", s.ExcludeOutboundIPRanges,
		"Comma-separated CIDRs never captured outbound (annotation traffic.sidecar.istio.io/excludeOutboundIPRanges overrides).")
	fs.IntVar(&s.ProxyConcurrency, "proxy-concurrency", s.ProxyConcurrency, "Envoy worker threads; 0 means one per CPU.")
	fs.StringVar(&s.ProxyLogLevel, "proxy-log-level", s.ProxyLogLevel, "Envoy's --log-level.")
	fs.Func("injection-failure-policy",
		"What to do with a pod that cannot be injected (bad annotation): Fail rejects it naming the annotation; "+
			"Ignore admits it without a sidecar and records why in annotation "+StatusAnnotation+". Default Fail.",
		func(v string) error {
			p := FailurePolicy(v)
			if p != FailurePolicyFail && p != FailurePolicyIgnore {
				return fmt.Errorf("want Fail or Ignore")
			}
			s.FailurePolicy = p
			return nil
		})
	s.quantityFlag(fs, "proxy-cpu", corev1.ResourceCPU, false)
	s.quantityFlag(fs, "proxy-memory", corev1.ResourceMemory, false)
	s.quantityFlag(fs, "proxy-cpu-limit", corev1.ResourceCPU, true)
	s.quantityFlag(fs, "proxy-memory-limit", corev1.ResourceMemory, true)
}

// quantityFlag sets one proxy request or limit; "0" removes it.
func (s *Settings) quantityFlag(fs *flag.FlagSet, name string, res corev1.ResourceName, limit bool) {
	list := &s.ProxyResources.Requests
	kind := "request"
	if limit {
		list, kind = &s.ProxyResources.Limits, "limit"
	}
	def := "none"
	if q, ok := (*list)[res]; ok {
		def = q.String()
	}
	usage := fmt.Sprintf("istio-proxy %s %s (default %s; \"0\" removes it).", res, kind, def)
	fs.Func(name, usage, func(v string) error {
		q, err := resource.ParseQuantity(v)
		if err != nil {
			return err
		}
		if *list == nil {
			*list = corev1.ResourceList{}
		}
		if q.IsZero() {
			delete(*list, res)
			return nil
		}
		(*list)[res] = q
		return nil
	})
}
