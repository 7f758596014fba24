package translate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xds/simulate"
)

// Cases transcribed from Istio's own simulation tests (named per case), in
// sailplane's terms: the services of Istio's TestSidecarRoutes, a client
// sidecar in namespace default, and requests whose landing cluster we check.

// istioKnownServices are TestSidecarRoutes' services: known and alt-known
// in default and not-default in not-default, each serving HTTP on 80 and
// 8080; plus the client whose sidecar sends the requests.
const istioKnownServices = `
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Namespace
metadata: {name: not-default}
---
apiVersion: v1
kind: Service
metadata: {name: known, namespace: default}
spec:
  clusterIP: 2.0.0.0
  selector: {app: known}
  ports: [{name: http, port: 80}, {name: http-alt, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: alt-known, namespace: default}
spec:
  clusterIP: 2.0.0.1
  selector: {app: alt-known}
  ports: [{name: http, port: 80}, {name: http-alt, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: not-default, namespace: not-default}
spec:
  clusterIP: 2.0.0.2
  selector: {app: not-default}
  ports: [{name: http, port: 80}, {name: http-alt, port: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: default}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {containers: [{name: app, image: client}]}
`

// meshVS is a VirtualService in default sending every request for host to
// dest (with an optional destination port), as TestSidecarRoutes' vsArgs.
func meshVS(name, host, dest, extra string) string {
	return `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ` + name + `, namespace: default` + extra + `}
spec:
  hosts: ["` + host + `"]
  http:
  - route: [{destination: {host: "` + dest + `"}}]
`
}

// translateYAML writes the manifests to one file and translates them for
// the proxy, requiring valid, consistent output.
func translateYAML(t *testing.T, proxy string, docs ...string) *Result {
	t.Helper()
	b, _, err := Load([]string{writeYAML(t, strings.Join(docs, "\n---\n"))})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(b, ParseProxy(proxy))
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, proxy, res.Resources)
	return res
}

// emptyCluster requires the cluster to exist with no endpoint: Envoy
// answers its requests with 503.
func emptyCluster(t *testing.T, r *xds.Resources, name string) {
	t.Helper()
	found := false
	for _, c := range r.Clusters {
		found = found || c.Name == name
	}
	if !found {
		t.Errorf("cluster %s missing", name)
		return
	}
	for _, e := range r.Endpoints {
		if e.ClusterName == name && len(e.Endpoints) > 0 {
			t.Errorf("cluster %s has endpoints %v, want none", name, e.Endpoints)
		}
	}
}

func TestIstioSidecarRoutes(t *testing.T) {
	const passthrough = "PassthroughCluster"
	type call struct {
		authority string
		port      uint32
		want      string // cluster
		empty     bool   // the cluster has no endpoints (503)
	}
	for _, tc := range []struct {
		name   string // Istio's case in TestSidecarRoutes, or ours
		config []string
		calls  []call
	}{{
		// TestSidecarRoutes "unknown port 80": a VirtualService for a host
		// with no service gets a virtual host on port 80 only, routing to
		// the (empty) cluster of its own port-less destination.
		name:   "unknown port 80 and 8080",
		config: []string{meshVS("foo", "foo.default.svc.cluster.local", "foo.default.svc.cluster.local", "")},
		calls: []call{
			{"foo.default.svc.cluster.local", 80, "outbound|80||foo.default.svc.cluster.local", true},
			{"foo.default.svc.cluster.local:80", 80, "outbound|80||foo.default.svc.cluster.local", true},
			// "unknown port 8080": no virtual host on 8080
			{"foo.default.svc.cluster.local", 8080, passthrough, false},
			{"known", 80, "outbound|80||known.default.svc.cluster.local", false},
		},
	}, {
		// TestSidecarRoutes "simple port 80" / "simple port 8080", with a
		// destination outside the registry: the route stays, its cluster
		// takes the listener's port and has no endpoints.
		name:   "route to a host outside the registry",
		config: []string{meshVS("known", "known.default.svc.cluster.local", "nowhere.example.com", "")},
		calls: []call{
			{"known", 80, "outbound|80||nowhere.example.com", true},
			{"known.default:8080", 8080, "outbound|8080||nowhere.example.com", true},
			{"alt-known", 80, "outbound|80||alt-known.default.svc.cluster.local", false},
		},
	}, {
		// TestSidecarRoutes "wildcard random": a wildcard matching no
		// service is inserted as it is, on port 80.
		name:   "wildcard random",
		config: []string{meshVS("wild", "*.unknown.example.com", "arbitrary.example.com", "")},
		calls: []call{
			{"a.unknown.example.com", 80, "outbound|80||arbitrary.example.com", true},
			{"a.unknown.example.com:80", 80, "outbound|80||arbitrary.example.com", true},
			{"a.unknown.example.com", 8080, passthrough, false},
			{"known", 80, "outbound|80||known.default.svc.cluster.local", false},
			{"alt-known", 80, "outbound|80||alt-known.default.svc.cluster.local", false},
		},
	}, {
		// TestSidecarRoutes "wildcard and explicit unknown": `*.tld` (older)
		// and `example.tld` (newer), neither a service: both get virtual
		// hosts; Envoy prefers the exact domain. (Written under .io here:
		// sailplane reads a two-label "example.tld" as service example in
		// namespace tld, where Istio keeps any dotted name as it is.)
		name: "wildcard and explicit unknown",
		config: []string{
			meshVS("wild", "*.tld.io", "wild.example.com", ", creationTimestamp: '2020-01-01T00:00:00Z'"),
			meshVS("explicit", "example.tld.io", "explicit.example.com", ", creationTimestamp: '2021-01-01T00:00:00Z'"),
		},
		calls: []call{
			{"other.tld.io", 80, "outbound|80||wild.example.com", true},
			{"example.tld.io", 80, "outbound|80||explicit.example.com", true},
			{"known", 80, "outbound|80||known.default.svc.cluster.local", false},
		},
	}, {
		// Ours: a VirtualService naming a service (on 80 and 8080) and an
		// external host serves the external host on both ports, as Istio's
		// BuildSidecarVirtualHostWrapper groups hosts by the services' ports.
		name:   "external host next to a service",
		config: []string{strings.Replace(meshVS("both", "known", "known", ""), `hosts: ["known"]`, `hosts: ["known", "api.example.com"]`, 1)},
		calls: []call{
			{"api.example.com", 80, "outbound|80||known.default.svc.cluster.local", false},
			{"api.example.com:8080", 8080, "outbound|8080||known.default.svc.cluster.local", false},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			res := translateYAML(t, "client.default", append([]string{istioKnownServices}, tc.config...)...)
			for _, c := range tc.calls {
				got, err := simulate.HTTP(res.Resources, simulate.Request{Authority: c.authority, Port: c.port, Method: "GET", Path: "/"})
				if err != nil {
					t.Errorf("%s on %d: %v", c.authority, c.port, err)
					continue
				}
				if got.Cluster() != c.want {
					t.Errorf("%s on %d went to %v (virtual host %s), want %s", c.authority, c.port, got.Clusters, got.VirtualHost, c.want)
				}
				if c.empty {
					emptyCluster(t, res.Resources, c.want)
				}
			}
		})
	}
}

// TestIstioHTTPGateway is Istio's TestHTTPGateway "simple http and virtual
// service": a Gateway for foo.bar on 80 and a VirtualService for "*" whose
// only route (exact /productpage) goes to productpage:9080, which is not
// in the registry. The route is kept and fails with 503 (its cluster has
// no endpoints); other paths find no route, other hosts no virtual host.
func TestIstioHTTPGateway(t *testing.T) {
	res := gatewayRun(t, writeYAML(t, `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["foo.bar"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bookinfo, namespace: default}
spec:
  hosts: ["*"]
  gateways: [gateway]
  http:
  - match: [{uri: {exact: /productpage}}]
    route: [{destination: {host: productpage, port: {number: 9080}}}]
`))
	const cluster = "outbound|9080||productpage.default.svc.cluster.local"
	got, err := simulate.Gateway(res.Resources, simulate.Request{Authority: "foo.bar", Port: 80, Method: "GET", Path: "/productpage"})
	if err != nil || got.Cluster() != cluster || got.VirtualHost != "foo.bar:80" {
		t.Errorf("match: %v, virtual host %q, clusters %v; want foo.bar:80 to %s", err, got.VirtualHost, got.Clusters, cluster)
	}
	emptyCluster(t, res.Resources, cluster)
	if got, err := simulate.Gateway(res.Resources, simulate.Request{Authority: "foo.bar", Port: 80, Method: "GET", Path: "/"}); err == nil {
		t.Errorf("uri mismatch: routed to %v, want no route", got.Clusters)
	}
	if got, err := simulate.Gateway(res.Resources, simulate.Request{Authority: "bad.bar", Port: 80, Method: "GET", Path: "/productpage"}); err == nil {
		t.Errorf("host mismatch: routed to %v, want no virtual host", got.Clusters)
	}
	if !hasLine(res.Model.Status.Lines(), `VirtualService default/bookinfo: http[0].route[0].destination: host "productpage.default.svc.cluster.local" not found in the service registry`) {
		t.Errorf("status lacks the unknown host: %v", res.Model.Status.Lines())
	}
}

func writeYAML(t *testing.T, doc string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "in.yaml")
	if err := os.WriteFile(f, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func hasLine(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// TestIstioGatewayVirtualServiceMerging is Istio's TestHTTPGateway
// "virtual service merging": a Gateway for *.example.com and two
// VirtualServices for a.example.com and b.example.com, each routing to a
// host that is not in the registry. Each host keeps its route (to an
// empty cluster, 503); a third host has no virtual host.
func TestIstioGatewayVirtualServiceMerging(t *testing.T) {
	vs := func(name string) string {
		return `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ` + name + `, namespace: default}
spec:
  hosts: [` + name + `.example.com]
  gateways: [gateway]
  http: [{match: [{uri: {prefix: /}}], route: [{destination: {host: ` + name + `, port: {number: 80}}}]}]
`
	}
	res := gatewayRun(t, writeYAML(t, `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*.example.com"]}]
`+vs("a")+vs("b")))
	for _, host := range []string{"a", "b"} {
		want := "outbound|80||" + host + ".default.svc.cluster.local"
		got, err := simulate.Gateway(res.Resources, simulate.Request{Authority: host + ".example.com", Port: 80, Method: "GET", Path: "/"})
		if err != nil || got.Cluster() != want {
			t.Errorf("%s.example.com: %v, went to %v, want %s", host, err, got.Clusters, want)
		}
		emptyCluster(t, res.Resources, want)
	}
	if got, err := simulate.Gateway(res.Resources, simulate.Request{Authority: "c.example.com", Port: 80, Method: "GET", Path: "/"}); err == nil {
		t.Errorf("undefined hostname: routed to %v, want no virtual host", got.Clusters)
	}
}

// TestGatewayTCPToHostOutsideRegistry: a gateway TCP server whose only
// route goes to a host outside the registry keeps its listener, its
// tcp_proxy pointing at the empty cluster (connections fail, as with
// Istio's BlackHoleCluster there), instead of losing the listener.
func TestGatewayTCPToHostOutsideRegistry(t *testing.T) {
	res := gatewayRun(t, writeYAML(t, `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 31400, name: tcp, protocol: TCP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: default}
spec:
  hosts: ["*"]
  gateways: [gateway]
  tcp: [{route: [{destination: {host: db.example.com, port: {number: 5432}}}]}]
`))
	checkTCP(t, res.Resources, 31400, "", map[string]uint32{"outbound|5432||db.example.com": 0})
	emptyCluster(t, res.Resources, "outbound|5432||db.example.com")
}
