package inject

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
)

// EnvoyBinary is where both the envoyproxy/envoy and the distroless images
// keep Envoy. Running it directly skips the image's entrypoint script,
// which would try to switch users.
const EnvoyBinary = "/usr/local/bin/envoy"

// Environment variables the kubelet fills from the downward API and expands
// into Envoy's --service-node argument: the node id without an agent.
const (
	envPodName      = "POD_NAME"
	envPodNamespace = "POD_NAMESPACE"
	envInstanceIP   = "INSTANCE_IP"
)

// Port names on istio-proxy, as Istio names them.
const (
	portNamePrometheus = "http-envoy-prom"
	portNameHealth     = "http-health"
)

// initContainer runs sailplane-init with istio-iptables' flags. It needs
// root with NET_ADMIN and NET_RAW to write the nat table, nothing more: not
// privileged, no privilege escalation. The root filesystem stays writable
// because iptables takes its lock under /run.
func initContainer(c capture, s Settings) corev1.Container {
	return corev1.Container{
		Name:      defaults.InitContainerName,
		Image:     s.InitImage,
		Args:      c.initArgs(),
		Resources: *s.InitResources.DeepCopy(),
		SecurityContext: &corev1.SecurityContext{
			RunAsUser:                ptr.To[int64](0),
			RunAsGroup:               ptr.To[int64](0),
			RunAsNonRoot:             ptr.To(false),
			Privileged:               ptr.To(false),
			AllowPrivilegeEscalation: ptr.To(false),
			ReadOnlyRootFilesystem:   ptr.To(false),
			Capabilities: &corev1.Capabilities{
				Add:  []corev1.Capability{"NET_ADMIN", "NET_RAW"},
				Drop: []corev1.Capability{"ALL"},
			},
		},
	}
}

// proxyContainer runs Envoy with the rendered bootstrap. The node id is
// built by the kubelet: $(VAR) in args expands the container's own env.
func proxyContainer(pod *corev1.Pod, c capture, res corev1.ResourceRequirements, bootstrap string, s Settings) corev1.Container {
	nodeID := names.NodeID(names.Node{
		Type:      names.Sidecar,
		IP:        "$(" + envInstanceIP + ")",
		Pod:       "$(" + envPodName + ")",
		Namespace: "$(" + envPodNamespace + ")",
		Domain:    defaults.DomainSuffix,
	})
	ready := &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Path: defaults.HealthReadyPath,
			Port: intstr.FromInt32(defaults.HealthPort),
		}},
		PeriodSeconds:    5,
		TimeoutSeconds:   3,
		FailureThreshold: 3,
	}
	return corev1.Container{
		Name:    defaults.ProxyContainerName,
		Image:   s.ProxyImage,
		Command: []string{EnvoyBinary},
		Args: []string{
			"--config-yaml", bootstrap,
			"--service-node", nodeID,
			"--service-cluster", serviceCluster(pod),
			"--concurrency", strconv.Itoa(s.ProxyConcurrency),
			"--log-level", s.ProxyLogLevel,
			// Hot restart needs shared memory between an old and a new
			// Envoy in one container; a pod restarts the container instead.
			"--disable-hot-restart",
		},
		Env: []corev1.EnvVar{
			fieldEnv(envPodName, "metadata.name"),
			fieldEnv(envPodNamespace, "metadata.namespace"),
			fieldEnv(envInstanceIP, "status.podIP"),
		},
		Ports: []corev1.ContainerPort{
			{Name: portNamePrometheus, ContainerPort: defaults.EnvoyPrometheusPort, Protocol: corev1.ProtocolTCP},
			{Name: portNameHealth, ContainerPort: defaults.HealthPort, Protocol: corev1.ProtocolTCP},
		},
		VolumeMounts:    trustMounts(),
		ReadinessProbe:  ready,
		StartupProbe:    startupProbe(s),
		Resources:       res,
		SecurityContext: proxySecurityContext(c.mode),
	}
}

// startupProbe polls readiness every second until Envoy has its first
// configuration. On a native sidecar Kubernetes holds every later container
// until it passes, so it is only set there when the settings ask to hold the
// application; on a plain container it only makes readiness quick.
func startupProbe(s Settings) *corev1.Probe {
	if s.NativeSidecars && !s.HoldApplicationUntilProxyStarts {
		return nil
	}
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Path: defaults.HealthReadyPath,
			Port: intstr.FromInt32(defaults.HealthPort),
		}},
		PeriodSeconds:    1,
		TimeoutSeconds:   3,
		FailureThreshold: 600,
	}
}

// proxySecurityContext runs Envoy as UID/GID 1337, whose traffic istio-init
// never captures. TPROXY needs CAP_NET_ADMIN for transparent sockets, which
// a non-root process cannot hold through Kubernetes, so Envoy runs as root
// there and stays exempt through its group 1337 (Istio does the same).
func proxySecurityContext(mode string) *corev1.SecurityContext {
	sc := &corev1.SecurityContext{
		RunAsUser:                ptr.To[int64](defaults.ProxyUID),
		RunAsGroup:               ptr.To[int64](defaults.ProxyGID),
		RunAsNonRoot:             ptr.To(true),
		Privileged:               ptr.To(false),
		AllowPrivilegeEscalation: ptr.To(false),
		ReadOnlyRootFilesystem:   ptr.To(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
	if mode == ModeTProxy {
		sc.RunAsUser = ptr.To[int64](0)
		sc.RunAsNonRoot = ptr.To(false)
		sc.Capabilities.Add = []corev1.Capability{"NET_ADMIN"}
	}
	return sc
}

// serviceCluster is Envoy's --service-cluster, Istio's "<app>.<namespace>":
// the workload's name as its labels give it.
func serviceCluster(pod *corev1.Pod) string {
	app := "istio-proxy"
	for _, key := range []string{"service.istio.io/canonical-name", "app.kubernetes.io/name", "app"} {
		if v := pod.Labels[key]; v != "" {
			app = v
			break
		}
	}
	return app + ".$(" + envPodNamespace + ")"
}

func fieldEnv(name, path string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path},
	}}
}
