package xds

import (
	"strings"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/sailplane/sailplane/internal/names"
)

func peerAuthn(ns, spec string) string {
	return "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: p, namespace: " + ns + "}\nspec: " + spec
}

// chainShape renders a chain as "name match=<transport>/<alpn count> tls=<required>".
func chainShape(fc *listenerv3.FilterChain) string {
	m := fc.GetFilterChainMatch()
	s := fc.GetName() + " " + m.GetTransportProtocol()
	if n := len(m.GetApplicationProtocols()); n > 0 {
		s += "+alpn"
	}
	if ts := fc.GetTransportSocket(); ts != nil {
		var ctx tlsv3.DownstreamTlsContext
		if err := ts.GetTypedConfig().UnmarshalTo(&ctx); err != nil {
			return s + " bad-tls"
		}
		cc := ctx.GetCommonTlsContext()
		if !ctx.GetRequireClientCertificate().GetValue() || cc.GetTlsCertificateSdsSecretConfigs()[0].GetName() != names.WorkloadCertSecret ||
			cc.GetCombinedValidationContext().GetValidationContextSdsSecretConfig().GetName() != names.RootCASecret {
			return s + " weak-tls"
		}
		s += " mtls"
	}
	return s
}

func virtualInboundOf(t *testing.T, r *Resources) *listenerv3.Listener {
	t.Helper()
	for _, l := range r.Listeners {
		if l.Name == names.VirtualInbound {
			return l
		}
	}
	t.Fatal("no virtualInbound")
	return nil
}

func TestInboundChainsFollowPeerAuthentication(t *testing.T) {
	for _, tc := range []struct {
		name      string
		docs      []string
		chains    []string
		def       string
		inspector bool
	}{
		{"permissive by default", nil, []string{
			"0.0.0.0_7070_mtls tls+alpn mtls", "0.0.0.0_7070 raw_buffer",
			"0.0.0.0_9080_mtls tls+alpn mtls", "0.0.0.0_9080 raw_buffer",
			"InboundPassthroughCluster_mtls tls+alpn mtls"}, "InboundPassthroughCluster ", true},
		{"strict", []string{peerAuthn("default", "{mtls: {mode: STRICT}}")}, []string{
			"0.0.0.0_7070  mtls", "0.0.0.0_9080  mtls"}, "InboundPassthroughCluster  mtls", false},
		{"disable", []string{peerAuthn("istio-system", "{mtls: {mode: DISABLE}}")}, []string{
			"0.0.0.0_7070 ", "0.0.0.0_9080 "}, "InboundPassthroughCluster ", false},
		{"strict with a permissive port", []string{peerAuthn("default", `{selector: {matchLabels: {app: reviews}}, mtls: {mode: STRICT}, portLevelMtls: {"9080": {mode: PERMISSIVE}}}`)}, []string{
			"0.0.0.0_7070  mtls", "0.0.0.0_9080_mtls tls+alpn mtls", "0.0.0.0_9080 raw_buffer"}, "InboundPassthroughCluster  mtls", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := generate(t, "reviews-v1", tc.docs...)
			l := virtualInboundOf(t, r)
			var got []string
			for _, fc := range l.FilterChains {
				got = append(got, chainShape(fc))
			}
			if strings.Join(got, "|") != strings.Join(tc.chains, "|") {
				t.Errorf("chains\n %q\nwant\n %q", got, tc.chains)
			}
			if d := chainShape(l.DefaultFilterChain); d != tc.def {
				t.Errorf("default chain %q, want %q", d, tc.def)
			}
			hasInspector := false
			for _, f := range l.ListenerFilters {
				hasInspector = hasInspector || f.Name == names.TLSInspectorListenerFilter
			}
			if hasInspector != tc.inspector {
				t.Errorf("tls inspector %v, want %v", hasInspector, tc.inspector)
			}
			if err := l.ValidateAll(); err != nil {
				t.Errorf("invalid listener: %v", err)
			}
			if errs := CheckConsistency(r); len(errs) > 0 {
				t.Errorf("inconsistent: %v", errs)
			}
		})
	}
}
