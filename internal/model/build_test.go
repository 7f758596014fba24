package model

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/bundle"
)

func decode(t *testing.T, docs ...string) *bundle.Bundle {
	t.Helper()
	b := &bundle.Bundle{}
	if _, err := b.Decode("test.yaml", strings.NewReader(strings.Join(docs, "\n---\n"))); err != nil {
		t.Fatal(err)
	}
	return b
}

const reviewsService = `
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  clusterIP: 10.96.0.10
  selector: {app: reviews}
  ports: [{name: http, port: 9080, targetPort: 9080}]`

func reviewsPod(name, version, ip string) string {
	return `
apiVersion: v1
kind: Pod
metadata: {name: ` + name + `, namespace: default, labels: {app: reviews, version: ` + version + `}}
spec: {containers: [{name: app, image: x}]}
status: {podIP: ` + ip + `}`
}

func TestEndpointSlicesCarryPodLabels(t *testing.T) {
	slice := `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-abc, namespace: default, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
ports: [{name: http, port: 9080}]
endpoints:
- addresses: [10.1.0.2]
  conditions: {ready: true}
  targetRef: {kind: Pod, name: reviews-v2, namespace: default}
- addresses: [10.1.0.1]
  targetRef: {kind: Pod, name: reviews-v1, namespace: default}
- addresses: [10.1.0.3]
  conditions: {ready: false}`
	m := Build(decode(t, reviewsService, slice, reviewsPod("reviews-v1", "v1", "10.1.0.1"), reviewsPod("reviews-v2", "v2", "10.1.0.2")))
	svc := m.Services["reviews.default.svc.cluster.local"]
	if svc == nil {
		t.Fatalf("service missing; have %v", m.Hostnames)
	}
	eps := svc.Endpoints[9080]
	if len(eps) != 3 {
		t.Fatalf("want 3 endpoints, got %+v", eps)
	}
	// Sorted by address; labels come from the pods; readiness from the slice.
	if eps[0].Address != "10.1.0.1" || eps[0].Labels["version"] != "v1" || !eps[0].Ready {
		t.Errorf("first endpoint %+v", eps[0])
	}
	if eps[1].Labels["version"] != "v2" || eps[2].Ready {
		t.Errorf("endpoints %+v", eps)
	}
}

func TestEndpointsFromPodsWithoutSlices(t *testing.T) {
	m := Build(decode(t, reviewsService, reviewsPod("reviews-v1", "v1", "10.1.0.1")))
	eps := m.Services["reviews.default.svc.cluster.local"].Endpoints[9080]
	if len(eps) != 1 || eps[0].Address != "10.1.0.1" || eps[0].Port != 9080 {
		t.Fatalf("endpoints %+v", eps)
	}
}

func TestDestinationRulePrecedence(t *testing.T) {
	dr := func(ns, name, host, extra string) string {
		return `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ` + name + `, namespace: ` + ns + `}
spec: {host: ` + host + extra + `}`
	}
	ns := `
apiVersion: v1
kind: Namespace
metadata: {name: client}`
	m := Build(decode(t, reviewsService, ns,
		dr("istio-system", "root", "reviews.default.svc.cluster.local", ""),
		dr("default", "service-ns", "reviews", ""),
		dr("client", "client-wild", "'*.default.svc.cluster.local'", ""),
		dr("client", "client-selected", "reviews.default.svc.cluster.local", ", workloadSelector: {matchLabels: {app: frontend}}"),
	))
	svc := m.Services["reviews.default.svc.cluster.local"]
	for _, tc := range []struct {
		ns     string
		labels map[string]string
		want   string
	}{
		{"client", map[string]string{"app": "frontend"}, "client/client-selected"},
		{"client", map[string]string{"app": "other"}, "client/client-wild"},
		{"default", nil, "default/service-ns"},
		{"elsewhere", nil, "default/service-ns"},
	} {
		got := m.DestinationRuleFor(tc.ns, tc.labels, svc)
		if got == nil || got.Ref.String() != tc.want {
			t.Errorf("proxy in %s %v: got %v, want %s", tc.ns, tc.labels, got, tc.want)
		}
	}
	// With no rule in the proxy's or the service's namespace, the root
	// namespace's applies.
	m2 := Build(decode(t, reviewsService, dr("istio-system", "root", "reviews.default.svc.cluster.local", "")))
	if got := m2.DestinationRuleFor("x", nil, m2.Services["reviews.default.svc.cluster.local"]); got == nil || got.Ref != (types.NamespacedName{Namespace: "istio-system", Name: "root"}) {
		t.Errorf("root namespace rule not used: %v", got)
	}
}

func TestServiceEntryResolutions(t *testing.T) {
	se := `
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: ext, namespace: default}
spec:
  hosts: [api.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
  location: MESH_EXTERNAL
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: vms, namespace: default}
spec:
  hosts: [vm.internal]
  addresses: [10.200.0.1]
  ports: [{number: 8080, name: http, protocol: HTTP, targetPort: 9090}]
  resolution: STATIC
  location: MESH_INTERNAL
  endpoints: [{address: 192.168.0.2, labels: {version: v1}}, {address: 192.168.0.1, ports: {http: 7070}}]`
	m := Build(decode(t, se))
	ext := m.Services["api.example.com"]
	if ext.Resolution != DNS || !ext.MeshExternal || len(ext.Endpoints[443]) != 1 || ext.Endpoints[443][0].Address != "api.example.com" {
		t.Errorf("DNS entry without endpoints should resolve its host: %+v", ext)
	}
	vm := m.Services["vm.internal"]
	eps := vm.Endpoints[8080]
	if vm.Resolution != ClientSideLB || vm.MeshExternal || len(eps) != 2 {
		t.Fatalf("static entry: %+v", vm)
	}
	if eps[0].Address != "192.168.0.1" || eps[0].Port != 7070 || eps[1].Port != 9090 || eps[1].Labels["version"] != "v1" {
		t.Errorf("static endpoints %+v", eps)
	}
}

func TestDuplicateServiceEntryHostIsReported(t *testing.T) {
	se := func(name string) string {
		return `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ` + name + `, namespace: default}
spec: {hosts: [reviews.default.svc.cluster.local], ports: [{number: 80, name: http, protocol: HTTP}]}`
	}
	m := Build(decode(t, reviewsService, se("shadow")))
	lines := strings.Join(m.Status.Lines(), "\n")
	if !strings.Contains(lines, "ServiceEntry default/shadow: hosts[0]: host \"reviews.default.svc.cluster.local\" is already defined by Service default/reviews") {
		t.Errorf("status lines:\n%s", lines)
	}
	if m.Services["reviews.default.svc.cluster.local"].FromServiceEntry != nil {
		t.Error("the Kubernetes service must keep the host")
	}
}

// Found by FuzzTranslate: a ServiceEntry host "*" (which the CRD refuses,
// but `sailctl x translate` reads manifests without it) became a service
// whose HTTP virtual host had domain "*", the catch-all's, and Envoy
// refused the whole route table.
func TestServiceEntryWildcardHostIsIgnored(t *testing.T) {
	m := Build(decode(t, `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: all, namespace: default}
spec: {hosts: ["*", api.example.com], ports: [{number: 80, name: http, protocol: HTTP}]}`))
	lines := strings.Join(m.Status.Lines(), "\n")
	if !strings.Contains(lines, "ServiceEntry default/all: hosts[0]: host cannot be the wildcard *") {
		t.Errorf("status lines:\n%s", lines)
	}
	if m.Services["*"] != nil || m.Services["api.example.com"] == nil {
		t.Errorf("want only api.example.com as a service, got %v", m.Services)
	}
}

// Found by FuzzTranslate: a Service listing a port twice (the API server
// refuses it, manifests read offline do not) gave two outbound clusters
// of one name, and Envoy refuses the whole CDS update.
func TestPortListedTwiceCountsOnce(t *testing.T) {
	m := Build(decode(t, `
apiVersion: v1
kind: Service
metadata: {name: dns, namespace: default}
spec:
  clusterIP: 10.96.0.53
  ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53}, {name: again, port: 53}]`, `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: default}
spec: {hosts: [api.example.com], ports: [{number: 443, name: https, protocol: TLS}, {number: 443, name: again, protocol: HTTPS}]}`))
	lines := strings.Join(m.Status.Lines(), "\n")
	for _, want := range []string{
		"Service default/dns: spec.ports[2]: port 53 is listed twice",
		"ServiceEntry default/ext: ports[1]: port number 443 is listed twice",
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("missing %q in status lines:\n%s", want, lines)
		}
	}
	if got := m.Services["dns.default.svc.cluster.local"].Ports; len(got) != 2 || got[0].Name == got[1].Name {
		t.Errorf("dns ports %+v, want 53/UDP and 53/TCP", got)
	}
	if got := m.Services["api.example.com"].Ports; len(got) != 1 || got[0].Name != "https" {
		t.Errorf("api.example.com ports %+v, want only the first", got)
	}
}

// Found by FuzzTranslate: port numbers over 65535 (which the API server
// refuses) reached Envoy addresses and load assignments; subsets with no
// name or a repeated one named the default cluster or one cluster twice.
func TestOutOfRangePortsAndUnusableSubsetsAreIgnored(t *testing.T) {
	m := Build(decode(t, `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  clusterIP: 10.96.0.80
  ports: [{name: http, port: 80, targetPort: 70000}, {name: big, port: 65536}, {name: alt, port: 8080}]`, `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: default}
spec: {hosts: [api.example.com], ports: [{number: 443, name: https, protocol: TLS, targetPort: 4294967295}, {number: 8443, name: ok, protocol: TLS}]}`, `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: default}
spec:
  host: web
  subsets: [{name: v1, labels: {version: v1}}, {labels: {version: v2}}, {name: v1, labels: {version: v3}}, {name: "a|b"}]`))
	lines := strings.Join(m.Status.Lines(), "\n")
	for _, want := range []string{
		"Service default/web: spec.ports[0]: port 80 (target 70000) is not a port number",
		"Service default/web: spec.ports[1]: port 65536 (target 0) is not a port number",
		"ServiceEntry default/ext: ports[0]: port 443 (target 4294967295) is not a port number",
		`DestinationRule default/web: subsets[1].name: subset name ""`,
		`DestinationRule default/web: subsets[2].name: subset name "v1"`,
		`DestinationRule default/web: subsets[3].name: subset name "a|b"`,
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("missing %q in status lines:\n%s", want, lines)
		}
	}
	if got := m.Services["web.default.svc.cluster.local"].Ports; len(got) != 1 || got[0].Number != 8080 {
		t.Errorf("web ports %+v, want only 8080", got)
	}
	if got := m.Services["api.example.com"].Ports; len(got) != 1 || got[0].Number != 8443 {
		t.Errorf("api.example.com ports %+v, want only 8443", got)
	}
	dr := m.DestinationRules[0]
	if s := dr.Subset("v1"); s == nil || s.Labels["version"] != "v1" {
		t.Errorf("subset v1 is %+v, want the first", s)
	}
	if s := dr.Subset(""); s != nil {
		t.Errorf("the unnamed subset is usable: %+v", s)
	}
}

// Found by FuzzTranslate: an empty ServiceEntry host, or a Service name
// the API server would refuse (a PEM block, say), became domains and
// cluster names Envoy refuses, with their whole route table or listener.
func TestHostsThatAreNotDNSNamesAreIgnored(t *testing.T) {
	m := Build(decode(t, `
apiVersion: v1
kind: Service
metadata: {name: "Not A Name", namespace: default}
spec: {clusterIP: 10.96.0.81, ports: [{name: http, port: 80}]}`, `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: default}
spec: {hosts: ["", "two words.example.com", "*.Example.com"], ports: [{number: 80, name: http, protocol: HTTP}]}`))
	lines := strings.Join(m.Status.Lines(), "\n")
	for _, want := range []string{
		"Service default/Not A Name: metadata: not a valid Service name",
		`ServiceEntry default/ext: hosts[0]: host "" is not a DNS name`,
		`ServiceEntry default/ext: hosts[1]: host "two words.example.com" is not a DNS name`,
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("missing %q in status lines:\n%s", want, lines)
		}
	}
	if len(m.Services) != 1 || m.Services["*.Example.com"] == nil {
		t.Errorf("services %v, want only *.Example.com", m.Services)
	}
}

// Found by FuzzTranslate: a cluster IP that is no IP (a PEM block) became
// a listener address and a domain; Envoy refused the route table.
func TestAddressesThatAreNotIPsAreIgnored(t *testing.T) {
	m := Build(decode(t, `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {clusterIP: "not an ip", ports: [{name: http, port: 80}]}`, `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: default}
spec: {hosts: [api.example.com], addresses: ["240.0.0.1", "10.1.0.0/16", "nope"], ports: [{number: 80, name: http, protocol: HTTP}]}`))
	lines := strings.Join(m.Status.Lines(), "\n")
	for _, want := range []string{
		`Service default/web: spec.clusterIP: "not an ip" is not an IP address`,
		`ServiceEntry default/ext: addresses[2]: "nope" is neither an IP address nor a CIDR`,
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("missing %q in status lines:\n%s", want, lines)
		}
	}
	if got := m.Services["web.default.svc.cluster.local"].Addresses; len(got) != 0 {
		t.Errorf("web addresses %v", got)
	}
	if got := m.Services["api.example.com"].Addresses; strings.Join(got, ",") != "240.0.0.1,10.1.0.0/16" {
		t.Errorf("api.example.com addresses %v", got)
	}
}

// Found by FuzzTranslate: a ServiceEntry endpoint without an address, or
// with a negative weight (which became 2^32-1), made Envoy refuse the
// load assignment.
func TestServiceEntryEndpointsEnvoyWouldRefuseAreIgnored(t *testing.T) {
	m := Build(decode(t, `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: default}
spec:
  hosts: [db.example.net]
  resolution: STATIC
  ports: [{number: 5432, name: tcp, protocol: TCP}]
  endpoints: [{address: 192.168.0.1}, {labels: {a: b}}, {address: 192.168.0.2, weight: -1}]`))
	lines := strings.Join(m.Status.Lines(), "\n")
	for _, want := range []string{
		"ServiceEntry default/ext: endpoints[1].address: an endpoint needs an address",
		"ServiceEntry default/ext: endpoints[2].weight: weight -1 is out of range",
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("missing %q in status lines:\n%s", want, lines)
		}
	}
	if eps := m.Services["db.example.net"].Endpoints[5432]; len(eps) != 1 || eps[0].Address != "192.168.0.1" {
		t.Errorf("endpoints %+v, want only 192.168.0.1", eps)
	}
}
