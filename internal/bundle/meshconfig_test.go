package bundle

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestMeshConfigOfReadsBothKeys(t *testing.T) {
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "sailplane-system", Name: "istio"},
		Data: map[string]string{
			"mesh":      "rootNamespace: mesh-root\n",
			"sailplane": "rateLimitProviders:\n- name: rls\n  service: rls.rls.svc.cluster.local\n  port: 8081\n  domain: mesh\n",
		},
	}
	c, err := MeshConfigOf(cm)
	if err != nil {
		t.Fatal(err)
	}
	if c.RootNamespace() != "mesh-root" {
		t.Errorf("mesh key lost: rootNamespace %q", c.RootNamespace())
	}
	if p := c.RateLimitProvider("rls"); p == nil || p.Port != 8081 {
		t.Errorf("sailplane key lost: provider %+v", p)
	}

	cm.Data["sailplane"] = "rateLimitProviders:\n- name: rls\n  port: 8081\n  domain: mesh\n"
	_, err = MeshConfigOf(cm)
	if err == nil || !strings.Contains(err.Error(), `ConfigMap sailplane-system/istio: key "sailplane": rateLimitProviders[0].service: required`) {
		t.Errorf("bad sailplane key: error %v", err)
	}
}
