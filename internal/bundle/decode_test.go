package bundle

import (
	"fmt"
	"strings"
	"testing"
)

func TestDecodeAllVersionsAndReportUnsupported(t *testing.T) {
	in := `
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: a}
spec: {hosts: [a], http: [{route: [{destination: {host: a}}]}]}
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: {name: a, namespace: prod}
spec: {host: a}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: prod}
spec: {egress: [{hosts: ["./*"]}]}
---
apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata: {name: default, namespace: prod}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: db}
spec: {selector: {matchLabels: {app: db}}, portLevelMtls: {"5432": {mode: DISABLE}}}
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: prod}
spec: {}
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: lua, namespace: prod}
spec: {}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny, namespace: prod}
spec: {action: DENY, rules: [{to: [{operation: {paths: [/admin*]}}]}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ignored}
---
`
	b := &Bundle{}
	unsupported, err := b.Decode("mesh.yaml", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.VirtualServices) != 1 || b.VirtualServices[0].Namespace != DefaultNamespace {
		t.Errorf("virtual services %+v", b.VirtualServices)
	}
	if len(b.DestinationRules) != 1 || b.DestinationRules[0].Namespace != "prod" {
		t.Errorf("destination rules %+v", b.DestinationRules)
	}
	if pa := b.PeerAuthentications; len(pa) != 2 || pa[0].Namespace != "prod" || pa[0].Spec.Mtls.Mode != "STRICT" ||
		pa[1].Namespace != DefaultNamespace || pa[1].Spec.PortLevelMtls["5432"].Mode != "DISABLE" {
		t.Errorf("peer authentications %+v", pa)
	}
	if ap := b.AuthorizationPolicies; len(ap) != 1 || ap[0].Spec.Action != "DENY" || ap[0].Spec.Rules[0].To[0].Operation.Paths[0] != "/admin*" {
		t.Errorf("authorization policies %+v", ap)
	}
	if ra := b.RequestAuthentications; len(ra) != 1 || ra[0].Name != "jwt" {
		t.Errorf("request authentications %+v", ra)
	}
	if sc := b.Sidecars; len(sc) != 1 || sc[0].Namespace != "prod" || sc[0].Spec.Egress[0].Hosts[0] != "./*" {
		t.Errorf("sidecars %+v", sc)
	}
	if len(unsupported) != 1 || unsupported[0].String() != "mesh.yaml#7: EnvoyFilter prod/lua (networking.istio.io/v1alpha3) is not served by sailplane" {
		t.Errorf("unsupported %v", unsupported)
	}
}

func TestDecodeErrorsNameFileDocumentAndField(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"kind: Service\napiVersion: v1\nmetadata: {name: a}\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bad}\nspec: {hosts: [a], htp: []}\n",
			`rules.yaml#2: VirtualService bad: json: unknown field "htp"`},
		{"apiVersion: networking.istio.io/v2\nkind: Gateway\nmetadata: {name: g}\n",
			"rules.yaml#1: Gateway g: apiVersion networking.istio.io/v2 is not served"},
		{"apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: http}]}\n",
			"rules.yaml#1: Service a:"},
		{"a: [b\n", "rules.yaml#1:"},
		{"apiVersion: security.istio.io/v1alpha1\nkind: PeerAuthentication\nmetadata: {name: p}\n",
			"rules.yaml#1: PeerAuthentication p: apiVersion security.istio.io/v1alpha1 is not served (use v1 or v1beta1)"},
		{"apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p}\nspec: {mtls: {mod: STRICT}}\n",
			`rules.yaml#1: PeerAuthentication p: json: unknown field "mod"`},
	} {
		b := &Bundle{}
		_, err := b.Decode("rules.yaml", strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want it to contain %q", err, tc.want)
		}
	}
}

func TestSynthesizeIsStable(t *testing.T) {
	in := `
apiVersion: apps/v1
kind: Deployment
metadata: {name: productpage-v1}
spec:
  replicas: 2
  selector: {matchLabels: {app: productpage}}
  template:
    metadata: {labels: {app: productpage, version: v1}}
    spec: {containers: [{name: app, image: x, ports: [{containerPort: 9080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: productpage}
spec: {selector: {app: productpage}, ports: [{name: http, port: 9080}]}
`
	first := synth(t, in)
	again := synth(t, in)
	if len(first.Pods) != 2 || first.Pods[0].Name != "productpage-v1" || first.Pods[1].Name != "productpage-v1-1" {
		t.Fatalf("pods %+v", first.Pods)
	}
	if first.Pods[0].Status.PodIP == "" || first.Pods[0].Status.PodIP == first.Pods[1].Status.PodIP {
		t.Errorf("pod IPs %q %q", first.Pods[0].Status.PodIP, first.Pods[1].Status.PodIP)
	}
	if first.Pods[0].Status.PodIP != again.Pods[0].Status.PodIP || first.Services[0].Spec.ClusterIP != again.Services[0].Spec.ClusterIP {
		t.Error("synthesised addresses differ between runs")
	}
	if first.Pods[0].Labels["version"] != "v1" {
		t.Errorf("pod labels %v", first.Pods[0].Labels)
	}
}

func synth(t *testing.T, in string) *Bundle {
	t.Helper()
	b := &Bundle{}
	if _, err := b.Decode("x.yaml", strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	b.Synthesize()
	return b
}

// Found by FuzzTranslate: replicas beyond what 10.244/16 holds made
// Synthesize loop forever looking for a free address.
func TestStableIPStopsWhenAddressesRunOut(t *testing.T) {
	used := map[string]bool{}
	for third := 0; third < 254; third++ {
		for last := 1; last <= 254; last++ {
			used[fmt.Sprintf("10.244.%d.%d", third, last)] = true
		}
	}
	delete(used, "10.244.17.42")
	if ip, ok := stableIP(used, "10.244", "pod"); !ok || ip != "10.244.17.42" {
		t.Fatalf("the last free address: got %q, %v", ip, ok)
	}
	if ip, ok := stableIP(used, "10.244", "one-more"); ok {
		t.Fatalf("a full /16 gave %s", ip)
	}
}
