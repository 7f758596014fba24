package inject

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/sailplane/sailplane/internal/defaults"
)

// Default images: an unmodified upstream Envoy (there is no pilot-agent; the
// bootstrap travels on the command line) and the project's iptables image.
const (
	DefaultProxyImage = "envoyproxy/envoy:v1.36-latest"
	DefaultInitImage  = "ghcr.io/sailplane/sailplane-init:latest"
	// DefaultServiceName is the control plane's Service (config/manager).
	DefaultServiceName = defaults.ControlPlaneService
	// DefaultControlPlaneNamespace matches config/default.
	DefaultControlPlaneNamespace = "sailplane-system"
	// DefaultProxyLogLevel is Envoy's --log-level.
	DefaultProxyLogLevel = "warning"
)

// FailurePolicy says what becomes of a pod the injector cannot handle (a
// malformed or contradictory annotation, an application running as the
// proxy's UID). The words are Kubernetes' own webhook failurePolicy values.
type FailurePolicy string

const (
	// FailurePolicyFail refuses the pod with a message naming the annotation
	// or field at fault: nothing runs outside the mesh by accident.
	FailurePolicyFail FailurePolicy = "Fail"
	// FailurePolicyIgnore admits the pod without a sidecar and writes the
	// reason into the status annotation: nothing is blocked by a typo.
	FailurePolicyIgnore FailurePolicy = "Ignore"
)

// Settings are the mesh-wide injection choices. Pod annotations override
// some of them per pod. The zero value is not usable: start from
// DefaultSettings.
type Settings struct {
	// ProxyImage runs Envoy as the istio-proxy container.
	ProxyImage string `json:"proxyImage,omitempty"`
	// InitImage runs sailplane-init (Istio's istio-iptables flags) as the
	// istio-init container; its entrypoint must be sailplane-init.
	InitImage string `json:"initImage,omitempty"`
	// XDSAddress is the host:port of the control plane's authenticated ADS
	// server (TLS, service-account token) as the proxies dial it. The host
	// must be a DNS name in the control plane's serving certificate.
	XDSAddress string `json:"xdsAddress,omitempty"`
	// ControlPlaneNamespace is never injected.
	ControlPlaneNamespace string `json:"controlPlaneNamespace,omitempty"`
	// NativeSidecars runs istio-proxy as an init container with
	// restartPolicy Always (Kubernetes sidecar containers): it starts before
	// and stops after the application, and Jobs can complete.
	NativeSidecars bool `json:"nativeSidecars,omitempty"`
	// HoldApplicationUntilProxyStarts starts the application only once
	// Envoy is ready. It needs NativeSidecars: Kubernetes then waits for the
	// proxy's startup probe. (Istio waits in a postStart hook of its own
	// agent; the upstream Envoy image has no tool to wait with.)
	HoldApplicationUntilProxyStarts bool `json:"holdApplicationUntilProxyStarts,omitempty"`
	// InterceptionMode is REDIRECT, TPROXY or NONE unless the pod says.
	InterceptionMode string `json:"interceptionMode,omitempty"`
	// ExcludeOutboundIPRanges are never captured unless the pod's
	// annotation replaces them (comma-separated CIDRs).
	ExcludeOutboundIPRanges string `json:"excludeOutboundIPRanges,omitempty"`
	// ProxyResources size istio-proxy unless the pod's annotations say.
	ProxyResources corev1.ResourceRequirements `json:"proxyResources,omitempty"`
	// InitResources size istio-init.
	InitResources corev1.ResourceRequirements `json:"initResources,omitempty"`
	// ProxyConcurrency is Envoy's worker thread count; 0 means one per core.
	ProxyConcurrency int `json:"proxyConcurrency,omitempty"`
	// ProxyLogLevel is Envoy's --log-level.
	ProxyLogLevel string `json:"proxyLogLevel,omitempty"`
	// FailurePolicy: what to do with a pod that cannot be injected.
	FailurePolicy FailurePolicy `json:"failurePolicy,omitempty"`
}

// DefaultSettings are Istio's defaults with sailplane's images. What
// depends on the control plane's namespace is left empty: Complete fills it.
func DefaultSettings() Settings {
	return Settings{
		ProxyImage:       DefaultProxyImage,
		InitImage:        DefaultInitImage,
		InterceptionMode: defaults.InterceptionMode,
		ProxyResources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse(defaults.ProxyCPURequest),
				corev1.ResourceMemory: resource.MustParse(defaults.ProxyMemoryRequest),
			},
			Limits: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse(defaults.ProxyCPULimit),
				corev1.ResourceMemory: resource.MustParse(defaults.ProxyMemoryLimit),
			},
		},
		// iptables-restore needs little; small numbers keep the pod's
		// effective request (the maximum over init containers) unchanged.
		InitResources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("10m"),
				corev1.ResourceMemory: resource.MustParse("10Mi"),
			},
			Limits: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("100m"),
				corev1.ResourceMemory: resource.MustParse("50Mi"),
			},
		},
		ProxyConcurrency: defaults.ProxyConcurrency,
		ProxyLogLevel:    DefaultProxyLogLevel,
		FailurePolicy:    FailurePolicyFail,
	}
}

// Complete fills what depends on the control plane's namespace when it is
// still empty: the namespace itself and the ADS address, the authenticated
// xDS port (sailplane.<namespace>.svc:15012).
func (s Settings) Complete(namespace string) Settings {
	if s.ControlPlaneNamespace == "" {
		s.ControlPlaneNamespace = namespace
	}
	if s.XDSAddress == "" {
		host := DefaultServiceName + "." + s.ControlPlaneNamespace + ".svc"
		s.XDSAddress = net.JoinHostPort(host, strconv.Itoa(defaults.XDSTLSPort))
	}
	return s
}

// Validate reports every setting that would produce broken pods, so the
// control plane refuses to start rather than inject them.
func (s Settings) Validate() error {
	var errs []error
	if s.ProxyImage == "" || s.InitImage == "" {
		errs = append(errs, errors.New("proxy and init images must be set"))
	}
	if _, _, err := splitHostPort(s.XDSAddress); err != nil {
		errs = append(errs, fmt.Errorf("xDS address: %w", err))
	}
	if s.ControlPlaneNamespace == "" {
		errs = append(errs, errors.New("control plane namespace must be set"))
	}
	if !validMode(s.InterceptionMode) {
		errs = append(errs, fmt.Errorf("interception mode %q: want REDIRECT, TPROXY or NONE", s.InterceptionMode))
	}
	if _, err := parseCIDRs(s.ExcludeOutboundIPRanges, false); err != nil {
		errs = append(errs, fmt.Errorf("exclude outbound IP ranges: %w", err))
	}
	if s.HoldApplicationUntilProxyStarts && !s.NativeSidecars {
		errs = append(errs, errors.New("holdApplicationUntilProxyStarts needs nativeSidecars: "+
			"Kubernetes holds the application on the sidecar's startup probe"))
	}
	if s.ProxyConcurrency < 0 {
		errs = append(errs, fmt.Errorf("proxy concurrency %d: want 0 (one per core) or more", s.ProxyConcurrency))
	}
	if !validLogLevel(s.ProxyLogLevel) {
		errs = append(errs, fmt.Errorf("proxy log level %q: want trace, debug, info, warning, error, critical or off", s.ProxyLogLevel))
	}
	if s.FailurePolicy != FailurePolicyFail && s.FailurePolicy != FailurePolicyIgnore {
		errs = append(errs, fmt.Errorf("failure policy %q: want Fail or Ignore", s.FailurePolicy))
	}
	errs = append(errs, checkRequestsWithinLimits("proxy", s.ProxyResources), checkRequestsWithinLimits("init", s.InitResources))
	return errors.Join(errs...)
}

func validMode(m string) bool { return m == ModeRedirect || m == ModeTProxy || m == ModeNone }

func validLogLevel(l string) bool {
	switch l {
	case "trace", "debug", "info", "warning", "warn", "error", "critical", "off":
		return true
	}
	return false
}

func checkRequestsWithinLimits(what string, r corev1.ResourceRequirements) error {
	for _, name := range slices.Sorted(maps.Keys(r.Requests)) {
		req := r.Requests[name]
		if lim, ok := r.Limits[name]; ok && req.Cmp(lim) > 0 {
			return fmt.Errorf("%s %s request %s is above its limit %s", what, name, req.String(), lim.String())
		}
	}
	return nil
}

// splitHostPort parses host:port with a port from 1 to 65535.
func splitHostPort(addr string) (string, uint32, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || port == 0 || host == "" {
		return "", 0, fmt.Errorf("%q: want host:port with a port from 1 to 65535", addr)
	}
	return host, uint32(port), nil
}
