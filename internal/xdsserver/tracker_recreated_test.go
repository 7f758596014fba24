package xdsserver

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/sailplane/sailplane/internal/identity"
)

// A pod recreated under its name (a StatefulSet pod, an address reused)
// starts a proxy whose node id is the old one's while the old proxy's
// stream is still open. The node must take the new pod's identity and be
// configured again; keeping the old pod's UID left it matched to a pod
// that is gone, never configured.
func TestRecreatedPodTakesOverItsNode(t *testing.T) {
	tr := newTracker(nil)
	var joined []string
	tr.onNew = func(n *corev3.Node) { joined = append(joined, n.GetId()) }
	node := &corev3.Node{Id: "sidecar~10.0.0.7~web-0.shop~shop.svc.cluster.local"}
	old := identity.Identity{TrustDomain: "cluster.local", Namespace: "shop", ServiceAccount: "web", PodName: "web-0", PodUID: "uid-old"}
	fresh := old
	fresh.PodUID = "uid-new"

	tr.opened(1, authenticated, &old)
	if err := tr.request(1, node, "", "", false, nil); err != nil {
		t.Fatal(err)
	}
	tr.opened(2, authenticated, &fresh)
	if err := tr.request(2, node, "", "", false, nil); err != nil {
		t.Fatalf("the recreated pod's proxy was refused: %v", err)
	}
	if got := tr.Identity(node.Id); got == nil || got.PodUID != "uid-new" {
		t.Fatalf("node identity = %+v, want the new pod's (uid-new)", got)
	}
	if len(joined) != 2 {
		t.Fatalf("the node was announced %d times, want twice (connected, then taken over by the new pod)", len(joined))
	}
	tr.closed(1) // the old pod's stream finally closes
	if got := tr.Identity(node.Id); got == nil || got.PodUID != "uid-new" {
		t.Fatalf("after the old stream closed, node identity = %+v, want uid-new", got)
	}

	// Another stream of the same pod (a second process with one bootstrap)
	// is no takeover.
	tr.opened(3, authenticated, &fresh)
	if err := tr.request(3, node, "", "", false, nil); err != nil {
		t.Fatal(err)
	}
	if len(joined) != 2 {
		t.Fatalf("a second stream of the same pod announced the node again (%d times)", len(joined))
	}
}
