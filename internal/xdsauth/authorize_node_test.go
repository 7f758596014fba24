package xdsauth

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sailplane/sailplane/internal/identity"
)

func TestAuthorizeNode(t *testing.T) {
	bound := identity.Identity{TrustDomain: "cluster.local", Namespace: "shop", ServiceAccount: "cart", PodName: "cart-1"}
	cert := identity.Identity{TrustDomain: "cluster.local", Namespace: "shop", ServiceAccount: "cart"}
	for _, c := range []struct {
		id     identity.Identity
		node   string
		denied []string // substrings of the PermissionDenied message; nil = allowed
	}{
		{bound, "sidecar~10.0.0.1~cart-1.shop~shop.svc.cluster.local", nil},
		{cert, "sidecar~10.0.0.1~cart-2.shop~shop.svc.cluster.local", nil},
		{cert, "router~10.0.0.1~gw-1.shop~shop.svc.cluster.local", nil},
		{bound, "sidecar~10.0.0.1~cart-2.shop~shop.svc.cluster.local", []string{`pod "cart-2"`, `caller's pod "cart-1"`}},
		{cert, "sidecar~10.0.0.1~cart-1.bank~bank.svc.cluster.local", []string{`namespace "bank"`, `caller's namespace "shop"`}},
		{bound, "cart-1.shop", []string{"want 4 fields"}},
	} {
		err := AuthorizeNode(c.id, c.node)
		if c.denied == nil {
			if err != nil {
				t.Errorf("AuthorizeNode(%v, %q) = %v, want allowed", c.id, c.node, err)
			}
			continue
		}
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("AuthorizeNode(%v, %q) = %v, want PermissionDenied", c.id, c.node, err)
			continue
		}
		for _, want := range c.denied {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("AuthorizeNode(%v, %q) = %v, want it to say %s", c.id, c.node, err, want)
			}
		}
	}
}

func TestParseBearer(t *testing.T) {
	for in, want := range map[string]string{"Bearer abc": "abc", "bearer abc": "abc", "BEARER  abc ": "abc"} {
		if got, ok := parseBearer(in); !ok || got != want {
			t.Errorf("parseBearer(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "abc", "Basic abc", "Bearer", "Bearer ", "Bearer a b"} {
		if got, ok := parseBearer(bad); ok {
			t.Errorf("parseBearer(%q) = %q, accepted", bad, got)
		}
	}
}
