package translate

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// TestSharedPiecesFollowTheProxy: what one model shares between the
// translations of different proxies (default and VirtualService routes,
// Sidecar scopes, clusters) never leaks one proxy's view into another's.
// On every golden case, sidecars in each of the case's namespaces, with
// the case proxy's labels, are translated first in the same model; the
// case proxy then gets exactly what it gets in a model of its own,
// problems included.
func TestSharedPiecesFollowTheProxy(t *testing.T) {
	cases, err := filepath.Glob("testdata/*.in.yaml")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	warmed := 0
	for _, in := range cases {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		alone := runCase(t, in)
		p := alone.Proxy
		if p.Type != names.Sidecar || p.Proxyless {
			continue
		}
		want := xds.Translate(alone.Model, p, nil)
		// A model of its own, in which nothing is translated yet.
		h := header(t, in)
		b, _, err := Load(append(h.with, in))
		if err != nil {
			t.Fatal(err)
		}
		m := model.Build(b)
		var ref types.NamespacedName
		for r, w := range alone.Model.Pods {
			if w == p.Workload {
				ref = r
			}
		}
		if p, err = ProxyFor(m, ref); err != nil {
			t.Fatal(err)
		}
		namespaces := map[string]bool{}
		for _, svc := range m.Services {
			namespaces[svc.Namespace] = true
		}
		for ref := range m.Pods {
			namespaces[ref.Namespace] = true
		}
		var order []string
		for ns := range namespaces {
			order = append(order, ns)
		}
		sort.Strings(order)
		for _, ns := range order {
			decoy := p
			decoy.Workload, decoy.IP, decoy.Namespace = nil, "192.0.2.1", ns
			xds.Translate(m, decoy, nil)
		}
		if len(order) > 1 {
			warmed++
		}
		got := xds.Translate(m, p, nil)
		if a, b := dump(t, got), dump(t, want); a != b {
			t.Errorf("%s: after other namespaces' sidecars in the same model, the config differs from the proxy's own", name)
		}
		if a, b := problems(got), problems(want); a != b {
			t.Errorf("%s: problems after other namespaces' sidecars:\n%s\nwant:\n%s", name, a, b)
		}
	}
	if warmed < 10 {
		t.Errorf("only %d cases have sidecars of several namespaces: the check proves little", warmed)
	}
}

// sharedRoutesMesh: a VirtualService in namespace one sends a fifth of
// a.one's traffic to b.two, which only namespace two sees, so its routes
// differ by the namespace of the proxy reading them (a cluster without
// endpoints and a problem naming namespace one, or b's cluster).
const sharedRoutesMesh = `
apiVersion: v1
kind: Service
metadata: {name: a, namespace: one}
spec: {clusterIP: 10.96.0.10, selector: {app: a}, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: two, annotations: {networking.istio.io/exportTo: "."}}
spec: {clusterIP: 10.96.0.11, selector: {app: b}, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Pod
metadata: {name: a-1, namespace: one, labels: {app: a}}
spec: {containers: [{name: app, image: app}]}
status: {podIP: 10.1.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: b-1, namespace: two, labels: {app: b}}
spec: {containers: [{name: app, image: app}]}
status: {podIP: 10.1.0.2}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: one}
spec:
  hosts: [a.one.svc.cluster.local]
  http:
  - route:
    - destination: {host: a.one.svc.cluster.local}
      weight: 80
    - destination: {host: b.two.svc.cluster.local}
      weight: 20
`

// TestSharedRoutesFollowTheNamespace: the VirtualService's routes built
// for a sidecar of namespace two are not handed to one of namespace one,
// which must route the fifth to a cluster without endpoints and report it.
func TestSharedRoutesFollowTheNamespace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mesh.yaml")
	if err := os.WriteFile(path, []byte(sharedRoutesMesh), 0o600); err != nil {
		t.Fatal(err)
	}
	translate := func(first ...string) *xds.Resources {
		b, _, err := Load([]string{path})
		if err != nil {
			t.Fatal(err)
		}
		m := model.Build(b)
		for _, name := range append(first, "a-1.one") {
			p, err := ProxyFor(m, ParseProxy(name))
			if err != nil {
				t.Fatal(err)
			}
			if r := xds.Translate(m, p, nil); name == "a-1.one" {
				return r
			}
		}
		return nil
	}
	want, got := translate(), translate("b-1.two")
	if !strings.Contains(problems(want), "not exported to namespace") {
		t.Fatalf("the case proves nothing: namespace one's sidecar reports no hidden destination:\n%s", problems(want))
	}
	if a, b := dump(t, got), dump(t, want); a != b {
		t.Error("after namespace two's sidecar, namespace one's config differs from its own")
	}
	if a, b := problems(got), problems(want); a != b {
		t.Errorf("problems after namespace two's sidecar:\n%s\nwant:\n%s", a, b)
	}
}
