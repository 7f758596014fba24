package xds

import (
	"context"
	"testing"
	"time"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestNodeLabelsPlaceEndpoints: the control plane watches Nodes (their
// metadata) and places each endpoint in its node's region and zone; a
// relabelled node moves its endpoints.
func TestNodeLabelsPlaceEndpoints(t *testing.T) {
	const ns = "locality"
	createMesh(t, ns)
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker-eu-1", Labels: map[string]string{
		corev1.LabelTopologyRegion: "eu-west", corev1.LabelTopologyZone: "eu-west-1a",
	}}}
	create(t, node)
	slice := reviewsSlice(ns, "reviews-v1", "reviews-v2")
	for i := range slice.Endpoints {
		slice.Endpoints[i].NodeName = ptr.To(node.Name)
	}
	var current = slice.DeepCopy()
	if err := k8s.Get(context.Background(), clientKey(ns, slice.Name), current); err != nil {
		t.Fatal(err)
	}
	current.Endpoints = slice.Endpoints
	if err := k8s.Update(context.Background(), current); err != nil {
		t.Fatal(err)
	}
	r := startReplica(t, false)
	c := dialSotW(t, r.xds, productpageNode(ns))
	res, _ := c.subscribe(t)
	const cluster = "outbound|9080||reviews." + ns + ".svc.cluster.local"
	zoneOf := func(cla []*endpointv3.ClusterLoadAssignment) string {
		for _, a := range cla {
			if a.ClusterName == cluster && len(a.Endpoints) > 0 {
				l := a.Endpoints[0].GetLocality()
				return l.GetRegion() + "/" + l.GetZone()
			}
		}
		return "no load assignment for " + cluster
	}
	if got := zoneOf(res.Endpoints); got != "eu-west/eu-west-1a" {
		t.Fatalf("endpoints placed in %q, want eu-west/eu-west-1a from their node's labels", got)
	}
	node.Labels[corev1.LabelTopologyZone] = "eu-west-1b"
	if err := k8s.Update(context.Background(), node); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp := c.Poll(resource.EndpointType, time.Second)
		if resp != nil {
			c.send(t, resource.EndpointType, edsNames(res.Clusters), resp.VersionInfo, resp.Nonce, nil)
			if zoneOf(decode[*endpointv3.ClusterLoadAssignment](t, resp.Resources)) == "eu-west/eu-west-1b" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("relabelling the node did not move its endpoints to zone eu-west-1b")
		}
	}
}
