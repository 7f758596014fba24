package xdsserver

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sailplane/sailplane/internal/identity"
)

// TestAuthorizeNodeAgainstThePodsTheInformersKnow: the pod a node id names
// must run as the caller's service account (else a final refusal); a bound
// token for another UID of that pod name is told to retry (the informers
// may not have seen a recreated pod yet), never configured as the pod they
// know; a pod they have not seen passes (it gets no configuration until
// they do).
func TestAuthorizeNodeAgainstThePodsTheInformersKnow(t *testing.T) {
	pods := func(ns, name string) (string, string, bool) {
		if ns == "shop" && name == "cart-1" {
			return "cart", "uid-new", true
		}
		return "", "", false
	}
	bound := func(sa, uid string) identity.Identity {
		return identity.Identity{TrustDomain: "cluster.local", Namespace: "shop", ServiceAccount: sa, PodName: "cart-1", PodUID: uid}
	}
	node := "sidecar~10.0.0.1~cart-1.shop~shop.svc.cluster.local"
	for _, c := range []struct {
		name string
		id   identity.Identity
		node string
		want codes.Code
	}{
		{"the pod it is", bound("cart", "uid-new"), node, codes.OK},
		{"another service account", bound("billing", "uid-new"), node, codes.PermissionDenied},
		{"a UID the informers have not seen", bound("cart", "uid-old"), node, codes.Unavailable},
		{"a pod the informers have not seen", identity.Identity{TrustDomain: "cluster.local", Namespace: "shop", ServiceAccount: "cart", PodName: "cart-2", PodUID: "u"},
			"sidecar~10.0.0.2~cart-2.shop~shop.svc.cluster.local", codes.OK},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := authorizeNode(c.id, c.node, pods)
			if got := status.Code(err); got != c.want {
				t.Errorf("authorizeNode: %v (%s), want %s", err, got, c.want)
			}
		})
	}
}
