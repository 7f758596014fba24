package inject

import (
	"path"
	"strings"
	"testing"

	grpccredentialv3 "github.com/envoyproxy/go-control-plane/envoy/config/grpc_credential/v3"
	corev1 "k8s.io/api/core/v1"

	"github.com/sailplane/sailplane/internal/defaults"
)

// TestProxyReadsWhatThePodMounts follows every file the injected bootstrap
// reads on the xDS connection to the istio-proxy mount and pod volume that
// provide it: the token from a projection for audience istio-ca, the root
// from key root-cert.pem of ConfigMap istio-ca-root-cert. As a plain
// container and as a native sidecar, by the webhook and by kube-inject.
func TestProxyReadsWhatThePodMounts(t *testing.T) {
	for _, native := range []bool{false, true} {
		for _, src := range []Source{enabled, {Manual: true}} {
			s := testSettings()
			s.NativeSidecars = native
			res := Inject(appPod(), src, s)
			if !res.Injected {
				t.Fatalf("native=%v: not injected: %s", native, res.Status)
			}
			proxy := findContainer(t, res.Pod, defaults.ProxyContainerName)
			b := parseBootstrap(t, argAfter(t, proxy.Args, "--config-yaml"))
			g := b.GetDynamicResources().GetAdsConfig().GetGrpcServices()[0].GetGoogleGrpc()
			cfg := &grpccredentialv3.FileBasedMetadataConfig{}
			if err := g.GetCallCredentials()[0].GetFromPlugin().GetTypedConfig().UnmarshalTo(cfg); err != nil {
				t.Fatal(err)
			}

			token := volumeFor(t, res.Pod, proxy, cfg.GetSecretData().GetFilename())
			p := token.vol.Projected
			if p == nil || len(p.Sources) != 1 || p.Sources[0].ServiceAccountToken == nil {
				t.Fatalf("native=%v: the token file comes from volume %s, not a projected service-account token", native, token.vol.Name)
			}
			sat := p.Sources[0].ServiceAccountToken
			if sat.Audience != "istio-ca" || sat.ExpirationSeconds == nil || *sat.ExpirationSeconds != 43200 || sat.Path != token.rel {
				t.Errorf("native=%v: token projection %+v, want audience istio-ca, 43200s, at %s", native, sat, token.rel)
			}

			root := volumeFor(t, res.Pod, proxy, g.GetChannelCredentials().GetSslCredentials().GetRootCerts().GetFilename())
			if cm := root.vol.ConfigMap; cm == nil || cm.Name != "istio-ca-root-cert" || root.rel != "root-cert.pem" {
				t.Errorf("native=%v: root certificate from volume %+v file %s, want root-cert.pem of ConfigMap istio-ca-root-cert", native, root.vol, root.rel)
			}
			for _, m := range proxy.VolumeMounts {
				if !m.ReadOnly {
					t.Errorf("native=%v: mount %s is writable", native, m.Name)
				}
			}
		}
	}
}

type mounted struct {
	vol corev1.Volume
	rel string // the file's path inside the volume
}

// volumeFor finds the container's mount holding file and the pod volume
// behind it.
func volumeFor(t *testing.T, pod *corev1.Pod, c corev1.Container, file string) mounted {
	t.Helper()
	for _, m := range c.VolumeMounts {
		if dir := path.Clean(m.MountPath) + "/"; strings.HasPrefix(file, dir) {
			for _, v := range pod.Spec.Volumes {
				if v.Name == m.Name {
					return mounted{vol: v, rel: strings.TrimPrefix(file, dir)}
				}
			}
			t.Fatalf("mount %s has no volume in the pod", m.Name)
		}
	}
	t.Fatalf("%s reads %s, which no mount provides", c.Name, file)
	return mounted{}
}

// A pod that already has a volume of a name the injector adds is refused
// (or, with Ignore, admitted without a sidecar) rather than broken.
func TestTrustVolumeNameClash(t *testing.T) {
	pod := appPod()
	pod.Spec.Volumes = []corev1.Volume{{Name: "istio-token", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	res := Inject(pod, enabled, testSettings())
	if !res.Rejected || res.Err == nil || !strings.Contains(res.Err.Error(), "volume istio-token") {
		t.Errorf("got rejected=%v err=%v, want a refusal naming volume istio-token", res.Rejected, res.Err)
	}
}
