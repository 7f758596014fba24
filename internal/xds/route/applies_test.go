package route

import (
	"slices"
	"testing"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func TestMatchSelectionForProxy(t *testing.T) {
	sidecar := Proxy{Namespace: "default", Labels: map[string]string{"app": "productpage", "version": "v1"}, Gateways: []string{"mesh"}}
	gateway := Proxy{Namespace: "istio-system", Labels: map[string]string{"istio": "ingressgateway"}, Gateways: []string{"istio-system/public", "default/internal"}}
	tests := []struct {
		name       string
		proxy      Proxy
		port       uint32
		vsGateways []string
		match      networkingv1.HTTPMatchRequest
		want       bool
	}{
		{"port equal", sidecar, 9080, nil, networkingv1.HTTPMatchRequest{Port: 9080}, true},
		{"port differs", sidecar, 9080, nil, networkingv1.HTTPMatchRequest{Port: 8080}, false},
		{"port any listener", sidecar, 0, nil, networkingv1.HTTPMatchRequest{Port: 8080}, true},
		{"sourceLabels subset", sidecar, 9080, nil, networkingv1.HTTPMatchRequest{SourceLabels: map[string]string{"app": "productpage"}}, true},
		{"sourceLabels value differs", sidecar, 9080, nil, networkingv1.HTTPMatchRequest{SourceLabels: map[string]string{"version": "v2"}}, false},
		{"sourceLabels key missing", sidecar, 9080, nil, networkingv1.HTTPMatchRequest{SourceLabels: map[string]string{"team": "a"}}, false},
		{"sourceNamespace equal", sidecar, 9080, nil, networkingv1.HTTPMatchRequest{SourceNamespace: "default"}, true},
		{"sourceNamespace differs", sidecar, 9080, nil, networkingv1.HTTPMatchRequest{SourceNamespace: "prod"}, false},
		{"empty VS gateways mean mesh", sidecar, 9080, nil, networkingv1.HTTPMatchRequest{}, true},
		{"VS bound to a gateway only", sidecar, 9080, []string{"istio-system/public"}, networkingv1.HTTPMatchRequest{}, false},
		{"gateway proxy of the VS gateway", gateway, 80, []string{"istio-system/public"}, networkingv1.HTTPMatchRequest{}, true},
		{"gateway proxy, VS for mesh", gateway, 80, []string{"mesh"}, networkingv1.HTTPMatchRequest{}, false},
		{"short VS gateway name in VS namespace", gateway, 80, []string{"internal"}, networkingv1.HTTPMatchRequest{}, true},
		{"match gateways override VS gateways", sidecar, 9080, []string{"istio-system/public"}, networkingv1.HTTPMatchRequest{Gateways: []string{"mesh"}}, true},
		{"match gateways exclude", gateway, 80, []string{"istio-system/public"}, networkingv1.HTTPMatchRequest{Gateways: []string{"mesh"}}, false},
		{"match short gateway name", gateway, 80, []string{"mesh"}, networkingv1.HTTPMatchRequest{Gateways: []string{"internal"}}, true},
		{"match legacy fqdn gateway name", gateway, 80, []string{"mesh"}, networkingv1.HTTPMatchRequest{Gateways: []string{"public.istio-system.svc.cluster.local"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := sidecarParams(networkingv1.HTTPRoute{Match: []networkingv1.HTTPMatchRequest{tt.match}, Route: to("reviews")})
			p.Proxy, p.Port, p.VSGateways = tt.proxy, tt.port, tt.vsGateways
			routes := buildOK(t, p)
			if got := len(routes) == 1; got != tt.want {
				t.Errorf("route emitted = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRuleDroppedWhenNoMatchApplies(t *testing.T) {
	routes := buildOK(t, sidecarParams(
		networkingv1.HTTPRoute{Name: "elsewhere", Match: []networkingv1.HTTPMatchRequest{{Port: 1}, {SourceNamespace: "other"}}, Route: to("reviews")},
		networkingv1.HTTPRoute{Name: "partly", Match: []networkingv1.HTTPMatchRequest{{Name: "no", Port: 1}, {Name: "yes", URI: prefix("/y")}}, Route: to("reviews")},
	))
	if got, want := routeNames(routes), []string{"partly.yes"}; !slices.Equal(got, want) {
		t.Errorf("routes = %v, want %v", got, want)
	}
}

func TestQualifyGateways(t *testing.T) {
	got := qualifyGateways("default", []string{"mesh", "gw", "./gw2", "prod/gw3", "gw4.team.svc.cluster.local"})
	want := []string{"mesh", "default/gw", "default/gw2", "prod/gw3", "team/gw4"}
	if !slices.Equal(got, want) {
		t.Errorf("qualifyGateways = %v, want %v", got, want)
	}
}
