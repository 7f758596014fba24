package xds

import (
	"context"
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/test/envtestutil"
)

// A Sidecar created in the API server narrows a connected proxy's clusters
// to its egress hosts, and its status names the fields sailplane does not
// honour yet.
func TestSidecarScopesConnectedProxy(t *testing.T) {
	const ns = "sidecarscope"
	const reviews = "outbound|9080||reviews.sidecarscope.svc.cluster.local"
	createMesh(t, ns)
	r := startReplica(t, true)
	c := dialSotW(t, r.xds, productpageNode(ns))
	res, _ := c.subscribe(t)
	if !hasCluster(res.Clusters, reviews) {
		t.Fatalf("before any Sidecar: cluster %s missing", reviews)
	}
	sc := &networkingv1.Sidecar{}
	sc.Name, sc.Namespace = "default", ns
	sc.Spec.Egress = []networkingv1.IstioEgressListener{{Hosts: []string{"./productpage." + ns + ".svc.cluster.local"}}}
	sc.Spec.Ingress = []networkingv1.IstioIngressListener{{Port: networkingv1.SidecarPort{Number: 9080, Protocol: "HTTP", Name: "http"}, DefaultEndpoint: "127.0.0.1:9080"}}
	create(t, sc)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp := c.next(t, resource.ClusterType, time.Until(deadline))
		c.send(t, resource.ClusterType, nil, resp.VersionInfo, resp.Nonce, nil)
		clusters := decode[*clusterv3.Cluster](t, resp.Resources)
		if !hasCluster(clusters, reviews) {
			if !hasCluster(clusters, "outbound|9080||productpage."+ns+".svc.cluster.local") {
				t.Errorf("the Sidecar's own egress host lost its cluster")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster %s still served 30s after the Sidecar excluded it", reviews)
		}
	}
	var cond *metav1.Condition
	envtestutil.WaitFor(t, 30*time.Second, "the Sidecar's Accepted condition", func() bool {
		got := &networkingv1.Sidecar{}
		if err := k8s.Get(context.Background(), clientKey(ns, "default"), got); err != nil {
			t.Fatal(err)
		}
		cond = meta.FindStatusCondition(got.Status.Conditions, "Accepted")
		return cond != nil && cond.ObservedGeneration == got.Generation
	})
	if cond.Status != metav1.ConditionFalse || !strings.Contains(cond.Message, "ingress: not honoured by sailplane yet") {
		t.Errorf("Sidecar status %s %q, want Accepted=False naming ingress as not honoured", cond.Status, cond.Message)
	}
}

func hasCluster(cs []*clusterv3.Cluster, name string) bool {
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}
