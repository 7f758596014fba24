package policy

import (
	"testing"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// Distinct sections, so the test can tell which layer each came from.
var (
	lbTop, lbTopPort, lbSub, lbSubPort = lb("ROUND_ROBIN"), lb("RANDOM"), lb("LEAST_REQUEST"), lb("PASSTHROUGH")
	cpTop, cpTopPort, cpSub, cpSubPort = cp(1), cp(2), cp(3), cp(4)
	odTop, odSub                       = od(1), od(3)
	tlsTop, tlsTopPort                 = &networkingv1.ClientTLSSettings{Mode: "SIMPLE"}, &networkingv1.ClientTLSSettings{Mode: "MUTUAL"}
	tunnelTop, tunnelSub               = &networkingv1.TunnelSettings{TargetHost: "top"}, &networkingv1.TunnelSettings{TargetHost: "sub"}
	ppTop                              = &networkingv1.ProxyProtocol{Version: "V2"}
	rbSub                              = &networkingv1.RetryBudget{MinRetryConcurrency: 7}
)

func lb(simple string) *networkingv1.LoadBalancerSettings {
	return &networkingv1.LoadBalancerSettings{Simple: simple}
}

func cp(maxConns int32) *networkingv1.ConnectionPoolSettings {
	return &networkingv1.ConnectionPoolSettings{TCP: &networkingv1.TCPSettings{MaxConnections: maxConns}}
}

func od(n int32) *networkingv1.OutlierDetection {
	return &networkingv1.OutlierDetection{Consecutive5xxErrors: &n}
}

func portSel(n uint32) *networkingv1.PortSelector {
	return &networkingv1.PortSelector{Number: networkingv1.PortNumber(n)}
}

// topPolicy sets every section, plus a port-level entry for 9080 that sets
// only loadBalancer and connectionPool.
func topPolicy() *networkingv1.TrafficPolicy {
	return &networkingv1.TrafficPolicy{
		LoadBalancer: lbTop, ConnectionPool: cpTop, OutlierDetection: odTop, TLS: tlsTop,
		Tunnel: tunnelTop, ProxyProtocol: ppTop,
		PortLevelSettings: []networkingv1.PortTrafficPolicy{
			{Port: portSel(8080), TLS: tlsTopPort},
			{Port: portSel(9080), LoadBalancer: lbTopPort, ConnectionPool: cpTopPort},
			{Port: portSel(9080), TLS: tlsTopPort}, // shadowed: first match wins
		},
	}
}

func TestEffective(t *testing.T) {
	subsetLB := &networkingv1.TrafficPolicy{LoadBalancer: lbSub}
	subsetWithPort := &networkingv1.TrafficPolicy{
		LoadBalancer: lbSub, ConnectionPool: cpSub, OutlierDetection: odSub, Tunnel: tunnelSub, RetryBudget: rbSub,
		PortLevelSettings: []networkingv1.PortTrafficPolicy{{Port: portSel(9080), LoadBalancer: lbSubPort, ConnectionPool: cpSubPort}},
	}
	tests := []struct {
		name        string
		top, subset *networkingv1.TrafficPolicy
		port        uint32
		want        *networkingv1.TrafficPolicy
	}{
		{name: "nothing", want: nil},
		{
			name: "top level only, port without port-level entry",
			top:  topPolicy(), port: 443,
			want: &networkingv1.TrafficPolicy{LoadBalancer: lbTop, ConnectionPool: cpTop, OutlierDetection: odTop, TLS: tlsTop, Tunnel: tunnelTop, ProxyProtocol: ppTop},
		},
		{
			name: "port 0 ignores port-level settings",
			top:  topPolicy(), port: 0,
			want: &networkingv1.TrafficPolicy{LoadBalancer: lbTop, ConnectionPool: cpTop, OutlierDetection: odTop, TLS: tlsTop, Tunnel: tunnelTop, ProxyProtocol: ppTop},
		},
		{
			// Port-level settings do not inherit: outlierDetection and tls
			// fall back to defaults although the top level sets them, and
			// the later 9080 entry's tls is ignored.
			name: "top-level port-level entry replaces the four port sections",
			top:  topPolicy(), port: 9080,
			want: &networkingv1.TrafficPolicy{LoadBalancer: lbTopPort, ConnectionPool: cpTopPort, Tunnel: tunnelTop, ProxyProtocol: ppTop},
		},
		{
			name: "subset section overrides the top level, the rest is inherited",
			top:  topPolicy(), subset: subsetLB, port: 443,
			want: &networkingv1.TrafficPolicy{LoadBalancer: lbSub, ConnectionPool: cpTop, OutlierDetection: odTop, TLS: tlsTop, Tunnel: tunnelTop, ProxyProtocol: ppTop},
		},
		{
			name: "subset sections apply over the top-level port-level entry",
			top:  topPolicy(), subset: subsetLB, port: 9080,
			want: &networkingv1.TrafficPolicy{LoadBalancer: lbSub, ConnectionPool: cpTopPort, Tunnel: tunnelTop, ProxyProtocol: ppTop},
		},
		{
			name: "subset port-level entry replaces the four port sections last",
			top:  topPolicy(), subset: subsetWithPort, port: 9080,
			want: &networkingv1.TrafficPolicy{LoadBalancer: lbSubPort, ConnectionPool: cpSubPort, Tunnel: tunnelSub, ProxyProtocol: ppTop, RetryBudget: rbSub},
		},
		{
			name: "subset without a matching port-level entry",
			top:  topPolicy(), subset: subsetWithPort, port: 443,
			want: &networkingv1.TrafficPolicy{LoadBalancer: lbSub, ConnectionPool: cpSub, OutlierDetection: odSub, TLS: tlsTop, Tunnel: tunnelSub, ProxyProtocol: ppTop, RetryBudget: rbSub},
		},
		{
			name:   "subset only",
			subset: subsetWithPort, port: 9080,
			want: &networkingv1.TrafficPolicy{LoadBalancer: lbSubPort, ConnectionPool: cpSubPort, Tunnel: tunnelSub, RetryBudget: rbSub},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Effective(tt.top, tt.subset, tt.port)
			if tt.want == nil {
				if got != nil {
					t.Fatalf("got %+v, want nil", got)
				}
				return
			}
			if got == nil {
				t.Fatal("got nil")
			}
			sameSections(t, got, tt.want)
		})
	}
}

// sameSections compares section by section, by identity: Effective must
// pick whole sections from the layers, never build new ones.
func sameSections(t *testing.T, got, want *networkingv1.TrafficPolicy) {
	t.Helper()
	check := func(name string, ok bool) {
		if !ok {
			t.Errorf("%s comes from the wrong layer", name)
		}
	}
	check("loadBalancer", got.LoadBalancer == want.LoadBalancer)
	check("connectionPool", got.ConnectionPool == want.ConnectionPool)
	check("outlierDetection", got.OutlierDetection == want.OutlierDetection)
	check("tls", got.TLS == want.TLS)
	check("tunnel", got.Tunnel == want.Tunnel)
	check("proxyProtocol", got.ProxyProtocol == want.ProxyProtocol)
	check("retryBudget", got.RetryBudget == want.RetryBudget)
	if got.PortLevelSettings != nil {
		t.Errorf("portLevelSettings should be resolved, got %v", got.PortLevelSettings)
	}
}

func TestEffectiveDoesNotModifyInputs(t *testing.T) {
	top := topPolicy()
	sub := &networkingv1.TrafficPolicy{LoadBalancer: lbSub}
	got := Effective(top, sub, 9080)
	if got == top || got == sub {
		t.Fatal("Effective returned one of its inputs")
	}
	if top.LoadBalancer != lbTop || len(top.PortLevelSettings) != 3 || sub.ConnectionPool != nil {
		t.Errorf("inputs were modified: top %+v, subset %+v", top, sub)
	}
}

func TestEffectivePaths(t *testing.T) {
	sub := &networkingv1.TrafficPolicy{
		LoadBalancer: lbSub,
		PortLevelSettings: []networkingv1.PortTrafficPolicy{
			{Port: portSel(1)},
			{Port: portSel(9080), OutlierDetection: odSub},
		},
	}
	got := EffectivePaths(topPolicy(), sub, 9080, "trafficPolicy", "subsets[2].trafficPolicy")
	want := Paths{
		// The subset's port-level entry replaced all four; only
		// outlierDetection is set there, the others are unset.
		OutlierDetection: "subsets[2].trafficPolicy.portLevelSettings[1]",
		Tunnel:           "trafficPolicy",
		ProxyProtocol:    "trafficPolicy",
	}
	if *got != want {
		t.Errorf("got %+v\nwant %+v", *got, want)
	}

	got = EffectivePaths(topPolicy(), &networkingv1.TrafficPolicy{LoadBalancer: lbSub}, 9080, "trafficPolicy", "subsets[0].trafficPolicy")
	want = Paths{
		LoadBalancer:   "subsets[0].trafficPolicy",
		ConnectionPool: "trafficPolicy.portLevelSettings[1]",
		Tunnel:         "trafficPolicy",
		ProxyProtocol:  "trafficPolicy",
	}
	if *got != want {
		t.Errorf("got %+v\nwant %+v", *got, want)
	}
}

// An error in a section inherited from the top level's port-level entry is
// reported there, not under the subset being built.
func TestApplyReportsWhereTheSectionCameFrom(t *testing.T) {
	top := &networkingv1.TrafficPolicy{PortLevelSettings: []networkingv1.PortTrafficPolicy{
		{Port: portSel(9080), TLS: &networkingv1.ClientTLSSettings{Mode: "MUTUAL"}},
	}}
	sub := &networkingv1.TrafficPolicy{LoadBalancer: &networkingv1.LoadBalancerSettings{Simple: "BOGUS"}}
	o := testOptions()
	o.Field = "subsets[1].trafficPolicy"
	o.Paths = EffectivePaths(top, sub, 9080, "trafficPolicy", o.Field)
	_, errs := applyTo(t, Effective(top, sub, 9080), o)
	wantErrors(t, errs,
		fe("subsets[1].trafficPolicy.loadBalancer.simple", `unknown value "BOGUS"; using LEAST_REQUEST`),
		fe("trafficPolicy.portLevelSettings[0].tls.mode", "MUTUAL needs credentialName, or clientCertificate and privateKey; connecting without a client certificate"),
	)
}
