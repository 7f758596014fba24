package translate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xds/simulate"
)

const ingressProxy = "istio-ingressgateway.istio-system"

// gatewayRun translates files for the ingress gateway pod of
// testdata/ingressgateway.yaml and requires valid, consistent output.
func gatewayRun(t *testing.T, files ...string) *Result {
	t.Helper()
	b, _, err := Load(append(files, "testdata/ingressgateway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(b, ParseProxy(ingressProxy))
	if err != nil {
		t.Fatal(err)
	}
	if res.Proxy.Type != names.Router {
		t.Fatalf("the ingress gateway pod is a %s, want a router", res.Proxy.Type)
	}
	checkClean(t, ingressProxy, res.Resources)
	return res
}

// TestBookinfoGateway sends the requests of Istio's bookinfo ingress
// sample through the ingress gateway: the five paths the VirtualService
// names reach productpage, with exact and prefix matching as written, and
// nothing else does. The corpus's Gateway listens on 8080 (Istio's current
// sample); the seed article's on 80, as Istio's sample did until 1.21.
func TestBookinfoGateway(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "bookinfo")
	for _, port := range []uint32{8080, 80} {
		res := gatewayRun(t, filepath.Join(dir, "platform-bookinfo.yaml"), bookinfoGateway(t, port))
		requireListener(t, res.Resources, names.GatewayListener(port))
		for _, c := range bookinfoPaths {
			got, err := simulate.Gateway(res.Resources, simulate.Request{Authority: "bookinfo.example.com", Port: port, Method: "GET", Path: c.path})
			if c.want == "" {
				if err == nil {
					t.Errorf("port %d: GET %s went to %v, want no route (404)", port, c.path, got.Clusters)
				}
				continue
			}
			if err != nil || got.Cluster() != c.want || got.RouteConfig != names.GatewayHTTPRouteConfig(port) {
				t.Errorf("port %d: GET %s: %v via %q to %v, want route %s to %s", port, c.path, err, got.RouteConfig, got.Clusters, names.GatewayHTTPRouteConfig(port), c.want)
			}
		}
	}
}

const productpage = "outbound|9080||productpage.default.svc.cluster.local"

var bookinfoPaths = []struct{ path, want string }{
	{"/productpage", productpage},
	{"/static/jquery.min.js", productpage},
	{"/static", productpage},
	{"/login", productpage},
	{"/logout", productpage},
	{"/api/v1/products", productpage},
	{"/api/v1/products/0/reviews", productpage},
	{"/productpage/x", ""}, // exact match only
	{"/login/x", ""},
	{"/", ""},
}

// bookinfoGateway returns the corpus's bookinfo-gateway.yaml, or for
// another port a copy with the server moved there.
func bookinfoGateway(t *testing.T, port uint32) string {
	t.Helper()
	src := filepath.Join(corpusDir(t), "bookinfo", "bookinfo-gateway.yaml")
	if port == 8080 {
		return src
	}
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	moved := strings.Replace(string(raw), "number: 8080", fmt.Sprintf("number: %d", port), 1)
	if moved == string(raw) {
		t.Fatal("bookinfo-gateway.yaml no longer has port 8080")
	}
	out := filepath.Join(t.TempDir(), "bookinfo-gateway.yaml")
	if err := os.WriteFile(out, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func requireListener(t *testing.T, r *xds.Resources, name string) {
	t.Helper()
	for _, l := range r.Listeners {
		if l.Name == name {
			if !l.GetBindToPort().GetValue() {
				t.Errorf("listener %s is not bound to its port", name)
			}
			return
		}
	}
	t.Errorf("listener %s missing", name)
}

// TestSampleGateways runs the httpbin and helloworld ingress samples.
func TestSampleGateways(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "samples")
	for _, tc := range []struct {
		app, path, want string
	}{
		{"httpbin", "/headers", "outbound|8000||httpbin.default.svc.cluster.local"},
		{"helloworld", "/hello", "outbound|5000||helloworld.default.svc.cluster.local"},
		{"helloworld", "/hello/x", ""},
	} {
		res := gatewayRun(t, filepath.Join(dir, tc.app+"-"+tc.app+".yaml"), filepath.Join(dir, tc.app+"-"+tc.app+"-gateway.yaml"))
		got, err := simulate.Gateway(res.Resources, simulate.Request{Authority: "example.com", Port: 80, Method: "GET", Path: tc.path})
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%s: GET %s went to %v, want 404", tc.app, tc.path, got.Clusters)
		case tc.want != "" && (err != nil || got.Cluster() != tc.want):
			t.Errorf("%s: GET %s: %v, %v; want %s", tc.app, tc.path, err, got.Clusters, tc.want)
		}
	}
}

// TestGatewayRouting drives the gateway golden cases through the
// simulator: redirects, SNI chain selection, TLS termination and
// passthrough.
func TestGatewayRouting(t *testing.T) {
	run := func(in string) *xds.Resources {
		res := runCase(t, in)
		return res.Resources
	}
	frontend := "outbound|9080||frontend.default.svc.cluster.local"
	redirect := run("testdata/gateway-https-redirect.in.yaml")
	for _, tc := range []struct {
		req      simulate.Request
		redirect bool
		cluster  string
	}{
		{simulate.Request{Authority: "bookinfo.example.com", Port: 80, Path: "/"}, true, ""},
		{simulate.Request{Authority: "other.example.com", Port: 80, Path: "/"}, true, ""},
		{simulate.Request{Authority: "bookinfo.example.com", Port: 443, Path: "/", TLS: true, SNI: "bookinfo.example.com"}, false, frontend},
	} {
		got, err := simulate.Gateway(redirect, tc.req)
		if err != nil || got.Redirect != tc.redirect || got.Cluster() != tc.cluster {
			t.Errorf("%+v: %v, redirect %v, clusters %v; want redirect %v, cluster %q", tc.req, err, got.Redirect, got.Clusters, tc.redirect, tc.cluster)
		}
	}
	simple := run("testdata/gateway-simple.in.yaml")
	got, err := simulate.Gateway(simple, simulate.Request{Authority: "a.shop.example.com", Port: 443, Path: "/", TLS: true, SNI: "a.shop.example.com"})
	if err != nil || got.RouteConfig != "https.443.https-shop.web.istio-system" || got.Cluster() != "outbound|8000||goods.shop.svc.cluster.local" {
		t.Errorf("wildcard SNI: %v via %q to %v", err, got.RouteConfig, got.Clusters)
	}
	if _, err := simulate.Gateway(simple, simulate.Request{Authority: "cipher.example.com", Port: 443, Path: "/", TLS: true, SNI: "cipher.example.com"}); err == nil {
		t.Error("the server left out for its cipher still has a filter chain")
	}
	checkTCP(t, run("testdata/gateway-passthrough.in.yaml"), 443, "us.partner.example.com",
		map[string]uint32{"outbound|443||nginx.default.svc.cluster.local": 80, frontend: 20})
	checkTCP(t, run("testdata/gateway-auto-passthrough.in.yaml"), 15443, "outbound_.9080_.v2_.reviews.default.svc.cluster.local",
		map[string]uint32{"outbound_.9080_.v2_.reviews.default.svc.cluster.local": 0})
	checkTCP(t, run("testdata/gateway-tcp.in.yaml"), 9443, "db.example.com",
		map[string]uint32{"outbound|3306||mysqldb.default.svc.cluster.local": 0})
}

func checkTCP(t *testing.T, r *xds.Resources, port uint32, sni string, want map[string]uint32) {
	t.Helper()
	got, err := simulate.TCP(r, port, sni)
	if err != nil || !sameWeights(got, want) {
		t.Errorf("port %d SNI %q: %v, %v; want %v", port, sni, err, got, want)
	}
}

// TestEgressGatewayPattern follows a request for the external host from
// the sidecar to the egress gateway service and from the egress gateway to
// the external host.
func TestEgressGatewayPattern(t *testing.T) {
	b, _, err := Load([]string{"testdata/mesh.base.yaml", "testdata/gateway.secrets.yaml", "testdata/egress.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	req := simulate.Request{Authority: "edition.cnn.com", Port: 80, Method: "GET", Path: "/politics"}
	for _, tc := range []struct {
		proxy string
		port  uint32
		want  string
		sim   func(*xds.Resources, simulate.Request) (simulate.Result, error)
	}{
		{"frontend-v1.default", 80, "outbound|80|cnn|istio-egressgateway.istio-system.svc.cluster.local", simulate.HTTP},
		{"istio-egressgateway.istio-system", 8080, "outbound|80||edition.cnn.com", simulate.Gateway},
	} {
		res, err := Run(cloneBundle(b), ParseProxy(tc.proxy))
		if err != nil {
			t.Fatal(err)
		}
		checkClean(t, tc.proxy, res.Resources)
		r := req
		r.Port = tc.port
		got, err := tc.sim(res.Resources, r)
		if err != nil || got.Cluster() != tc.want {
			t.Errorf("%s: %v, %v; want %s", tc.proxy, err, got.Clusters, tc.want)
		}
	}
}

func cloneBundle(b *bundle.Bundle) *bundle.Bundle {
	c := *b
	return &c
}

// TestGatewayFilterChainsAreUnnamed: Istio names no gateway filter chain
// (HTTPS termination, TLS passthrough, AUTO_PASSTHROUGH); neither does
// sailplane, so `proxy-config listener` output matches Istio's.
func TestGatewayFilterChainsAreUnnamed(t *testing.T) {
	cases, _ := filepath.Glob("testdata/gateway-*.in.yaml")
	chains := 0
	for _, in := range cases {
		res := runCase(t, in)
		if res.Proxy.Type != names.Router {
			continue
		}
		for _, l := range res.Resources.Listeners {
			for _, fc := range l.FilterChains {
				chains++
				if fc.Name != "" {
					t.Errorf("%s: listener %s has a filter chain named %q; Istio leaves gateway chains unnamed", in, l.Name, fc.Name)
				}
			}
		}
	}
	if chains == 0 {
		t.Fatal("no gateway filter chains checked")
	}
}
