package mesh_test

import (
	"testing"

	"google.golang.org/protobuf/types/known/structpb"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/model"
)

// A verified caller is configured only as a pod the informers know that
// runs as its identity; its node metadata never stands in for the pod. A
// plaintext node may still be configured from its metadata.
func TestProxyForVerifiedIdentity(t *testing.T) {
	pod := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1", UID: "uid-1", Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{ServiceAccountName: "web"},
	}
	m := model.Build(&bundle.Bundle{Pods: []corev1.Pod{pod}})
	meta, _ := structpb.NewStruct(map[string]any{"NAMESPACE": "shop", "LABELS": map[string]any{"istio": "ingressgateway"}})
	node := func(podName string) string { return "router~10.0.0.1~" + podName + ".shop~shop.svc.cluster.local" }
	web := identity.Identity{TrustDomain: "cluster.local", Namespace: "shop", ServiceAccount: "web", PodName: "web-1", PodUID: "uid-1"}
	cases := []struct {
		name string
		n    mesh.Node
		ok   bool
	}{
		{"own pod", mesh.Node{ID: node("web-1"), Identity: &web}, true},
		{"pod of another service account", mesh.Node{ID: node("web-1"), Identity: &identity.Identity{TrustDomain: "cluster.local", Namespace: "shop", ServiceAccount: "db"}}, false},
		{"recreated pod of the same name", mesh.Node{ID: node("web-1"), Identity: &identity.Identity{TrustDomain: "cluster.local", Namespace: "shop", ServiceAccount: "web", PodName: "web-1", PodUID: "uid-0"}}, false},
		{"pod not known, metadata claims a gateway", mesh.Node{ID: node("ghost"), Metadata: meta, Identity: &identity.Identity{TrustDomain: "cluster.local", Namespace: "shop", ServiceAccount: "web"}}, false},
		{"plaintext node from metadata", mesh.Node{ID: node("ghost"), Metadata: meta}, true},
	}
	for _, tc := range cases {
		p, ok := mesh.ProxyFor(m, tc.n)
		if ok != tc.ok {
			t.Errorf("%s: configured=%v, want %v", tc.name, ok, tc.ok)
		}
		if ok && tc.n.Identity != nil && p.Labels["istio"] != "" {
			t.Errorf("%s: a verified caller got labels from its node metadata", tc.name)
		}
	}
}
