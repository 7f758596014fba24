package model

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func TestLocalitySources(t *testing.T) {
	b := decode(t, reviewsService, `
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {topology.kubernetes.io/region: us-east, topology.kubernetes.io/zone: us-east-a, topology.istio.io/subzone: rack1}}`, `
apiVersion: v1
kind: Node
metadata: {name: legacy, labels: {failure-domain.beta.kubernetes.io/region: eu, failure-domain.beta.kubernetes.io/zone: eu-1}}`, `
apiVersion: v1
kind: Pod
metadata: {name: on-node, namespace: default, labels: {app: reviews}}
spec: {nodeName: n1, containers: [{name: app, image: x}]}
status: {podIP: 10.0.0.1}`, `
apiVersion: v1
kind: Pod
metadata: {name: labelled, namespace: default, labels: {app: reviews, istio-locality: ap.ap-1.r9}}
spec: {nodeName: n1, containers: [{name: app, image: x}]}
status: {podIP: 10.0.0.2}`, `
apiVersion: v1
kind: Pod
metadata: {name: slashed, namespace: default, labels: {app: reviews, istio-locality: ap/ap-2}}
spec: {containers: [{name: app, image: x}]}
status: {podIP: 10.0.0.3}`, `
apiVersion: v1
kind: Pod
metadata: {name: old-node, namespace: default, labels: {app: reviews}}
spec: {nodeName: legacy, containers: [{name: app, image: x}]}
status: {podIP: 10.0.0.4}`, `
apiVersion: v1
kind: Pod
metadata: {name: sliced, namespace: default, labels: {app: reviews}}
spec: {containers: [{name: app, image: x}]}
status: {podIP: 10.0.0.5}`, `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-1, namespace: default, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
ports: [{name: http, port: 9080}]
endpoints:
- {addresses: [10.0.0.1], zone: ignored-when-the-pod-knows, targetRef: {kind: Pod, name: on-node}}
- {addresses: [10.0.0.2], targetRef: {kind: Pod, name: labelled}}
- {addresses: [10.0.0.3], targetRef: {kind: Pod, name: slashed}}
- {addresses: [10.0.0.4], targetRef: {kind: Pod, name: old-node}}
- {addresses: [10.0.0.5], zone: z5, targetRef: {kind: Pod, name: sliced}}
- {addresses: [10.0.0.6], nodeName: n1}
- {addresses: [10.0.0.7]}`, `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: default}
spec:
  hosts: [ext.example.com]
  resolution: STATIC
  ports: [{number: 443, name: tls, protocol: TLS}]
  endpoints: [{address: 192.0.2.1, locality: us-west}]`)
	m := Build(b)
	want := map[string]Locality{
		"10.0.0.1": "us-east/us-east-a/rack1", // node labels beat the slice zone
		"10.0.0.2": "ap/ap-1/r9",              // istio-locality beats the node
		"10.0.0.3": "ap/ap-2",
		"10.0.0.4": "eu/eu-1",
		"10.0.0.5": "/z5", // zone only: region unknown
		"10.0.0.6": "us-east/us-east-a/rack1",
		"10.0.0.7": "",
	}
	got := map[string]Locality{}
	for _, e := range m.Services["reviews.default.svc.cluster.local"].Endpoints[9080] {
		got[e.Address] = e.Locality
	}
	for addr, l := range want {
		if got[addr] != l {
			t.Errorf("endpoint %s: locality %q, want %q", addr, got[addr], l)
		}
	}
	if w := m.Pods[types.NamespacedName{Namespace: "default", Name: "sliced"}]; w.Locality != "/z5" {
		t.Errorf("pod known only through its slice: locality %q, want /z5", w.Locality)
	}
	if e := m.Services["ext.example.com"].Endpoints[443]; len(e) != 1 || e[0].Locality != "us-west" {
		t.Errorf("ServiceEntry endpoint locality: %+v", e)
	}
	if r, z, s := SplitLocality("us-west"); r != "us-west" || z != "" || s != "" {
		t.Errorf("one part is a region, as in Istio: got %q %q %q", r, z, s)
	}
	if m.LocalityAware {
		t.Errorf("no DestinationRule: nothing depends on the proxy's locality")
	}
}

func TestLocalityAwareRules(t *testing.T) {
	for _, tc := range []struct {
		name, dr string
		aware    bool
		keys     []string
	}{
		{"outlier detection", `trafficPolicy: {outlierDetection: {consecutive5xxErrors: 1}}`, true, nil},
		{"subset port-level outlier detection", `subsets: [{name: v1, labels: {v: "1"}, trafficPolicy: {portLevelSettings: [{port: {number: 9080}, outlierDetection: {consecutive5xxErrors: 1}}]}}]`, true, nil},
		{"distribute without outlier detection", `trafficPolicy: {loadBalancer: {localityLbSetting: {distribute: [{from: "*", to: {"*": 100}}]}}}`, true, nil},
		{"disabled", `trafficPolicy: {outlierDetection: {consecutive5xxErrors: 1}, loadBalancer: {localityLbSetting: {enabled: false}}}`, false, nil},
		{"failoverPriority keys are source labels", `trafficPolicy: {outlierDetection: {consecutive5xxErrors: 1}, loadBalancer: {localityLbSetting: {failoverPriority: [track, "tier=gold"]}}}`, true, []string{"tier", "track"}},
		{"plain policy", `trafficPolicy: {loadBalancer: {simple: RANDOM}}`, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Build(decode(t, reviewsService, `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec: {host: reviews, `+tc.dr+`}`))
			if m.LocalityAware != tc.aware {
				t.Errorf("LocalityAware %v, want %v", m.LocalityAware, tc.aware)
			}
			if len(m.SourceLabelKeys) != len(tc.keys) || (len(tc.keys) > 0 && (m.SourceLabelKeys[0] != tc.keys[0] || m.SourceLabelKeys[1] != tc.keys[1])) {
				t.Errorf("SourceLabelKeys %v, want %v", m.SourceLabelKeys, tc.keys)
			}
		})
	}
}
