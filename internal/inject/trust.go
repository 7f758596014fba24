package inject

import (
	"fmt"
	"path"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/sailplane/sailplane/internal/defaults"
)

// trustVolumes are what istio-proxy needs on the authenticated xDS port,
// under Istio's names: the service-account token it presents (projected
// for audience istio-ca, renewed by the kubelet before it expires) and the
// mesh root it verifies the control plane with (ConfigMap
// istio-ca-root-cert, which the control plane publishes in every
// namespace; the pod waits in ContainerCreating until it exists).
func trustVolumes() []corev1.Volume {
	return []corev1.Volume{
		{Name: defaults.TokenVolume, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
				Audience:          defaults.TokenAudience,
				ExpirationSeconds: ptr.To[int64](defaults.TokenExpirationSeconds),
				Path:              path.Base(defaults.TokenPath),
			}}},
		}}},
		{Name: defaults.RootCertVolume, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: defaults.RootCertConfigMap},
		}}},
	}
}

// trustMounts put trustVolumes where the bootstrap reads them
// (defaults.TokenPath, RootCertPath), read-only.
func trustMounts() []corev1.VolumeMount {
	return []corev1.VolumeMount{
		{Name: defaults.TokenVolume, MountPath: path.Dir(defaults.TokenPath), ReadOnly: true},
		{Name: defaults.RootCertVolume, MountPath: path.Dir(RootCertPath), ReadOnly: true},
	}
}

// checkVolumes refuses a pod that already has a volume of a name the
// injector adds: the API server would reject the duplicate, and replacing
// the pod's own volume could break it.
func checkVolumes(pod *corev1.Pod) error {
	for _, v := range pod.Spec.Volumes {
		for _, t := range trustVolumes() {
			if v.Name == t.Name {
				return fmt.Errorf("volume %s: the injector adds a volume of that name for istio-proxy", v.Name)
			}
		}
	}
	return nil
}
