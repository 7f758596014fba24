package names

import "testing"

func TestClusterNamesRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		want ClusterKey
	}{
		{OutboundCluster(9080, "v2", "reviews.default.svc.cluster.local"), ClusterKey{Outbound, 9080, "v2", "reviews.default.svc.cluster.local"}},
		{OutboundCluster(443, "", "api.example.com"), ClusterKey{Outbound, 443, "", "api.example.com"}},
		{InboundCluster(8080, "goods.shop.svc.cluster.local"), ClusterKey{Inbound, 8080, "", "goods.shop.svc.cluster.local"}},
	} {
		got, ok := ParseCluster(tc.name)
		if !ok || got != tc.want {
			t.Errorf("ParseCluster(%q) = %+v, %v", tc.name, got, ok)
		}
	}
	if got := OutboundCluster(9080, "v2", "reviews.default.svc.cluster.local"); got != "outbound|9080|v2|reviews.default.svc.cluster.local" {
		t.Errorf("OutboundCluster = %q", got)
	}
	for _, bad := range []string{BlackHoleCluster, PassthroughCluster, "outbound|x||h", "sideways|1||h"} {
		if _, ok := ParseCluster(bad); ok {
			t.Errorf("ParseCluster(%q) should fail", bad)
		}
	}
}

func TestListenerAndRouteNames(t *testing.T) {
	for got, want := range map[string]string{
		OutboundHTTPListener(9080):                                   "0.0.0.0_9080",
		OutboundTCPListener("10.0.0.1", 27):                          "10.0.0.1_27",
		OutboundRouteConfig(9080):                                    "9080",
		GatewayHTTPRouteConfig(80):                                   "http.80",
		VirtualHost("reviews.default.svc.cluster.local", 9080):       "reviews.default.svc.cluster.local:9080",
		SniffedRouteConfig("orders.default.svc.cluster.local", 8080): "orders.default.svc.cluster.local:8080",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestNodeID(t *testing.T) {
	n := Node{Type: Sidecar, IP: "10.1.2.3", Pod: "reviews-v1-abc", Namespace: "default", Domain: "cluster.local"}
	id := NodeID(n)
	if id != "sidecar~10.1.2.3~reviews-v1-abc.default~default.svc.cluster.local" {
		t.Fatalf("NodeID = %q", id)
	}
	back, err := ParseNodeID(id)
	if err != nil || back != n {
		t.Fatalf("ParseNodeID = %+v, %v", back, err)
	}
	gw, err := ParseNodeID("router~10.0.0.9~istio-ingressgateway-5d.istio-system~istio-system.svc.cluster.local")
	if err != nil || gw.Type != Router || gw.Namespace != "istio-system" {
		t.Errorf("gateway node: %+v, %v", gw, err)
	}
	for _, bad := range []string{"", "sidecar~1.2.3.4~pod~ns", "proxy~1~p.ns~ns.svc.cluster.local", "sidecar~1~pod~ns.svc.cluster.local", "sidecar~1~p.ns~other.svc.cluster.local"} {
		if _, err := ParseNodeID(bad); err == nil {
			t.Errorf("ParseNodeID(%q) should fail", bad)
		}
	}
}

func TestCredentialSecretNames(t *testing.T) {
	for in, want := range map[string][2]string{
		"egress-cert":              {"kubernetes://egress-cert", "kubernetes://egress-cert-cacert"},
		"kubernetes://egress-cert": {"kubernetes://egress-cert", "kubernetes://egress-cert-cacert"},
	} {
		if got := [2]string{CredentialSecret(in), CredentialCASecret(in)}; got != want {
			t.Errorf("%q: got %v, want %v", in, got, want)
		}
	}
}

func TestGatewayNames(t *testing.T) {
	for got, want := range map[string]string{
		GatewayListener(8443): "0.0.0.0_8443",
		GatewayHTTPSRouteConfig(443, "https", "bookinfo", "default"):    "https.443.https.bookinfo.default",
		GatewayBlackHoleVirtualHost(80):                                 "blackhole:80",
		SNIDNATCluster(9080, "", "reviews.default.svc.cluster.local"):   "outbound_.9080_._.reviews.default.svc.cluster.local",
		SNIDNATCluster(9080, "v1", "reviews.default.svc.cluster.local"): "outbound_.9080_.v1_.reviews.default.svc.cluster.local",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestParseCredentialSecret(t *testing.T) {
	for in, want := range map[string]CredentialRef{
		CredentialSecret("web"):              {Name: "web"},
		CredentialCASecret("web"):            {Name: "web", CA: true},
		CredentialSecret("shop/web"):         {Namespace: "shop", Name: "web"},
		CredentialCASecret("shop/web"):       {Namespace: "shop", Name: "web", CA: true},
		CredentialSecret("kubernetes://web"): {Name: "web"},
	} {
		if got, ok := ParseCredentialSecret(in); !ok || got != want {
			t.Errorf("ParseCredentialSecret(%q) = %+v, %v; want %+v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"web", "kubernetes://", "kubernetes://a/b/c", "kubernetes://ns/", "sds://x"} {
		if _, ok := ParseCredentialSecret(bad); ok {
			t.Errorf("ParseCredentialSecret(%q) should fail", bad)
		}
	}
}
