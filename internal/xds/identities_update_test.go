package xds

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// identitiesMesh is a client and a meshed ratings service (one port, a
// VirtualService and subsets, so that it has routes and several clusters)
// whose pod runs as serviceAccount.
func identitiesMesh(t *testing.T, serviceAccount string) (*model.Model, Proxy) {
	t.Helper()
	docs := fmt.Sprintf(`
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default}
spec: {clusterIP: 10.96.0.12, selector: {app: ratings}, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: ratings-v1, namespace: default, labels: {app: ratings, version: v1}, annotations: {sidecar.istio.io/status: "{}"}}
spec: {serviceAccountName: %s, containers: [{name: app, image: x}]}
status: {podIP: 10.1.0.9}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ratings-1, namespace: default, labels: {kubernetes.io/service-name: ratings}}
addressType: IPv4
ports: [{name: http, port: 9080}]
endpoints:
- {addresses: [10.1.0.9], targetRef: {kind: Pod, name: ratings-v1, namespace: default}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings, namespace: default}
spec: {host: ratings, subsets: [{name: v1, labels: {version: v1}}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec: {hosts: [ratings], http: [{route: [{destination: {host: ratings, subset: v1}}]}]}
`, serviceAccount)
	b := &bundle.Bundle{}
	if _, err := b.Decode("test.yaml", strings.NewReader(mesh+"\n---\n"+docs)); err != nil {
		t.Fatal(err)
	}
	m := model.Build(b)
	w := m.Pods[typesNN("default", "reviews-v1")]
	return m, Proxy{Type: names.Sidecar, Namespace: "default", Labels: w.Labels, IP: w.IP, Workload: w}
}

// An identity change gives what a full translation gives, with the
// route configurations and listeners kept by pointer (nothing of them
// reads identities) and the touched host's clusters new.
func TestIdentitiesUpdateTranslatesOnlyClusters(t *testing.T) {
	prev, p := identitiesMesh(t, "ratings")
	next, _ := identitiesMesh(t, "ratings-v2")
	host := "ratings.default.svc.cluster.local"
	if ids, same := next.SameBesidesPods(prev); !same || !ids[host] || len(ids) != 1 {
		t.Fatalf("the two models should differ in %s's identities alone: %v %v", host, ids, same)
	}
	half := GenerateOutbound(prev, p)
	u := OutboundIdentitiesUpdate(next, p, half, map[string]bool{host: true})
	if !u.clustersOnly {
		t.Fatal("the update fell back to a rules update")
	}
	got, ok := u.ApplyToHalf(half)
	if !ok {
		t.Fatal("the update does not fit the half")
	}
	want := GenerateOutbound(next, p)
	if !samePointerList(got.Routes, half.Routes) || !samePointerList(got.Listeners, half.Listeners) {
		t.Error("routes or listeners were not kept by pointer")
	}
	if !got.Equal(want) {
		t.Fatal("the update differs from the full translation")
	}
	replaced := 0
	for i, c := range got.Clusters {
		if c != half.Clusters[i] {
			if !strings.HasSuffix(c.Name, "|"+host) {
				t.Errorf("cluster %s of an untouched host was replaced", c.Name)
			}
			replaced++
		}
	}
	if replaced != 2 { // the default cluster and subset v1's
		t.Errorf("%d clusters replaced, want ratings' 2", replaced)
	}
}
