package translate

import (
	"testing"

	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xds/simulate"
)

// caseEntries are two ServiceEntries whose hosts differ only in case; the
// lower-case one is older.
const caseEntries = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: lower, namespace: default, creationTimestamp: '2020-01-01T00:00:00Z'}
spec:
  hosts: [case.example]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 80, name: http, protocol: HTTP}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: upper, namespace: default, creationTimestamp: '2021-01-01T00:00:00Z'}
spec:
  hosts: [CASE.example]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 80, name: http, protocol: HTTP}]
`

// TestCaseVariantHosts: Envoy lowercases domains and refuses a route table
// in which two are equal, which would cost every sidecar its port-80
// routes. Istio lowercases the hosts of its tables; sailplane does too,
// gives the older host the virtual host both names reach (its clusters and
// the newer one's stay), and reports the newer ServiceEntry.
func TestCaseVariantHosts(t *testing.T) {
	res := translateYAML(t, "client.default", istioKnownServices, caseEntries)
	for _, authority := range []string{"case.example", "CASE.example", "Case.Example:80"} {
		got, err := simulate.HTTP(res.Resources, simulate.Request{Authority: authority, Port: 80, Method: "GET", Path: "/"})
		if err != nil || got.Cluster() != "outbound|80||case.example" {
			t.Errorf("%s: %v, went to %v, want outbound|80||case.example", authority, err, got.Clusters)
		}
	}
	if !hasLine(res.Model.Status.Lines(), `ServiceEntry default/upper: hosts[0]: host "CASE.example" differs only in case from "case.example" (ServiceEntry default/lower)`) {
		t.Errorf("the newer entry is not reported: %v", res.Model.Status.Lines())
	}
	if hasLine(res.Model.Status.Lines(), "ServiceEntry default/lower") {
		t.Errorf("the older entry is reported: %v", res.Model.Status.Lines())
	}
}

// TestCaseVariantGatewayHosts: two VirtualServices bound to one gateway
// with hosts equal but for case share one (lower-case) virtual host, as on
// Istio's gateways, instead of two that Envoy would refuse together.
func TestCaseVariantGatewayHosts(t *testing.T) {
	res := gatewayRun(t, writeYAML(t, istioKnownServices+`
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: default, creationTimestamp: '2020-01-01T00:00:00Z'}
spec:
  hosts: [shop.example.com]
  gateways: [gateway]
  http: [{match: [{uri: {prefix: /a}}], route: [{destination: {host: known}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: b, namespace: default, creationTimestamp: '2021-01-01T00:00:00Z'}
spec:
  hosts: [SHOP.example.com]
  gateways: [gateway]
  http: [{match: [{uri: {prefix: /b}}], route: [{destination: {host: alt-known}}]}]
`))
	for path, want := range map[string]string{"/a": "outbound|80||known.default.svc.cluster.local", "/b": "outbound|80||alt-known.default.svc.cluster.local"} {
		got, err := simulate.Gateway(res.Resources, simulate.Request{Authority: "Shop.Example.com", Port: 80, Method: "GET", Path: path})
		if err != nil || got.Cluster() != want {
			t.Errorf("%s: %v, went to %v, want %s", path, err, got.Clusters, want)
		}
	}
}

// TestDuplicateDomainsAreInconsistent: the consistency check every golden
// and simulation runs catches a table Envoy would refuse.
func TestDuplicateDomainsAreInconsistent(t *testing.T) {
	res := translateYAML(t, "client.default", istioKnownServices)
	r := *res.Resources
	var rc80 = -1
	for i, rc := range r.Routes {
		if rc.Name == "80" {
			rc80 = i
		}
	}
	if rc80 < 0 {
		t.Fatal("no route configuration 80")
	}
	vh := r.Routes[rc80].VirtualHosts[0]
	vh.Domains = append(vh.Domains, "KNOWN.default.svc.cluster.local")
	if errs := xds.CheckConsistency(&r); len(errs) == 0 {
		t.Errorf("a domain repeated in another case passes the consistency check")
	}
}
