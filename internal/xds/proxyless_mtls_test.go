package xds

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// A meshed gRPC server pod behind Service greeter (7070 and 7071), a
// meshed caller and an unmeshed one.
const grpcWorld = `
apiVersion: v1
kind: Service
metadata: {name: greeter, namespace: shop}
spec:
  clusterIP: 10.96.9.1
  selector: {app: greeter}
  ports:
  - {name: grpc, port: 7070, targetPort: 7070}
  - {name: grpc-admin, port: 7071, targetPort: 7071}
---
apiVersion: v1
kind: Pod
metadata: {name: greeter-0, namespace: shop, labels: {app: greeter}, annotations: {sidecar.istio.io/status: '{}'}}
spec: {serviceAccountName: greeter, containers: [{name: app, image: greeter}]}
status: {podIP: 10.244.9.1}
---
apiVersion: v1
kind: Pod
metadata: {name: caller, namespace: shop, labels: {app: caller}, annotations: {sidecar.istio.io/status: '{}'}}
spec: {serviceAccountName: caller, containers: [{name: app, image: caller}]}
status: {podIP: 10.244.9.2}
---
apiVersion: v1
kind: Pod
metadata: {name: kiosk, namespace: shop, labels: {app: kiosk}}
spec: {containers: [{name: app, image: kiosk}]}
status: {podIP: 10.244.9.3}
`

func proxylessGreeter(t *testing.T, certs bool, docs ...string) *Resources {
	t.Helper()
	b := &bundle.Bundle{}
	if _, err := b.Decode("test.yaml", strings.NewReader(strings.Join(append([]string{grpcWorld}, docs...), "\n---\n"))); err != nil {
		t.Fatal(err)
	}
	m := model.Build(b)
	w := m.Pods[typesNN("shop", "greeter-0")]
	p := Proxy{Type: names.Sidecar, Namespace: "shop", Labels: w.Labels, Workload: w, IP: w.IP, CertProviders: certs}
	r := Combine(GenerateProxyless(m, p), GenerateProxylessInbound(m, p))
	for _, pr := range r.Problems {
		t.Errorf("problem: %v", pr)
	}
	return r
}

func greeterPeerAuthn(mode string, ports string) string {
	return fmt.Sprintf(`apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: greeter, namespace: shop}
spec:
  selector: {matchLabels: {app: greeter}}
  mtls: {mode: %s}
%s`, mode, ports)
}

// grpcChainShape says what a server chain is: "mtls" (client certificate
// required), "tls" (server TLS only), "plaintext"; with "@sources" when it
// matches source addresses.
func grpcChainShape(t *testing.T, fc *listenerv3.FilterChain) string {
	t.Helper()
	shape := "plaintext"
	if ts := fc.GetTransportSocket(); ts != nil {
		var ctx tlsv3.DownstreamTlsContext
		if err := ts.GetTypedConfig().UnmarshalTo(&ctx); err != nil {
			t.Fatal(err)
		}
		shape = "tls"
		if ctx.GetRequireClientCertificate().GetValue() {
			shape = "mtls"
		}
	}
	if len(fc.GetFilterChainMatch().GetSourcePrefixRanges()) > 0 {
		var srcs []string
		for _, r := range fc.GetFilterChainMatch().GetSourcePrefixRanges() {
			srcs = append(srcs, r.GetAddressPrefix()+"/"+strconv.Itoa(int(r.GetPrefixLen().GetValue())))
		}
		shape += "@" + strings.Join(srcs, ",")
	}
	return shape
}

// TestGRPCServerListenersPerMode: one table over modes, scopes and whether
// the server holds certificates; every listener is checked against what
// grpc-go accepts, deeply validated, and its chains compared.
func TestGRPCServerListenersPerMode(t *testing.T) {
	meshedSources := "@10.244.9.1/32,10.244.9.2/32"
	for _, tc := range []struct {
		name  string
		certs bool
		docs  []string
		// chains by port; a port missing from the map has no listener.
		want map[uint32][]string
	}{
		{"no policy is PERMISSIVE", true, nil,
			map[uint32][]string{7070: {"mtls" + meshedSources, "plaintext"}, 7071: {"mtls" + meshedSources, "plaintext"}}},
		{"STRICT", true, []string{greeterPeerAuthn("STRICT", "")},
			map[uint32][]string{7070: {"mtls"}, 7071: {"mtls"}}},
		{"DISABLE", true, []string{greeterPeerAuthn("DISABLE", "")},
			map[uint32][]string{7070: {"plaintext"}, 7071: {"plaintext"}}},
		{"port-level beats the workload's", true, []string{greeterPeerAuthn("STRICT", "  portLevelMtls: {7071: {mode: PERMISSIVE}}")},
			map[uint32][]string{7070: {"mtls"}, 7071: {"mtls" + meshedSources, "plaintext"}}},
		{"namespace-wide STRICT", true, []string{"apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: shop}\nspec: {mtls: {mode: STRICT}}"},
			map[uint32][]string{7070: {"mtls"}, 7071: {"mtls"}}},
		{"without certificates STRICT serves nothing", false, []string{greeterPeerAuthn("STRICT", "  portLevelMtls: {7071: {mode: DISABLE}}")},
			map[uint32][]string{7071: {"plaintext"}}},
		{"without certificates PERMISSIVE is plaintext", false, nil,
			map[uint32][]string{7070: {"plaintext"}, 7071: {"plaintext"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := proxylessGreeter(t, tc.certs, tc.docs...)
			got := map[uint32][]string{}
			for _, l := range r.Listeners {
				if !strings.HasPrefix(l.Name, names.GRPCServerListenerPrefix) {
					continue
				}
				checkGRPCServerListener(t, l)
				port := l.GetAddress().GetSocketAddress().GetPortValue()
				var shapes []string
				for _, fc := range l.FilterChains {
					shapes = append(shapes, grpcChainShape(t, fc))
				}
				if prev, ok := got[port]; ok && strings.Join(prev, " ") != strings.Join(shapes, " ") {
					t.Errorf("port %d: addresses disagree: %v and %v", port, prev, shapes)
				}
				got[port] = shapes
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("server chains %v, want %v", got, tc.want)
			}
		})
	}
}

// checkGRPCServerListener checks a server listener against what grpc-go's
// xDS server accepts (gRFC A36, A29) and validates every nested config.
func checkGRPCServerListener(t *testing.T, l *listenerv3.Listener) {
	t.Helper()
	deepValidate(t, l.Name, l)
	sa := l.GetAddress().GetSocketAddress()
	if want := names.GRPCServerListenerPrefix + net.JoinHostPort(sa.GetAddress(), strconv.Itoa(int(sa.GetPortValue()))); l.Name != want {
		t.Errorf("listener %s: address %s:%d does not match its name", l.Name, sa.GetAddress(), sa.GetPortValue())
	}
	if len(l.ListenerFilters) > 0 || l.GetUseOriginalDst().GetValue() || l.DefaultFilterChain != nil {
		t.Errorf("listener %s: listener filters, original destination or a default chain: gRPC NACKs the first two", l.Name)
	}
	if len(l.FilterChains) == 0 {
		t.Errorf("listener %s: no filter chain (gRPC NACKs it)", l.Name)
	}
	for _, fc := range l.FilterChains {
		m := fc.GetFilterChainMatch()
		if m.GetDestinationPort() != nil || len(m.GetServerNames()) > 0 || m.GetTransportProtocol() != "" || len(m.GetApplicationProtocols()) > 0 {
			t.Errorf("chain %s: a match field gRPC drops the chain for: %v", fc.Name, m)
		}
		if len(fc.Filters) != 1 {
			t.Fatalf("chain %s: %d network filters, want the HTTP connection manager alone", fc.Name, len(fc.Filters))
		}
		var hcm hcmv3.HttpConnectionManager
		if err := fc.Filters[0].GetTypedConfig().UnmarshalTo(&hcm); err != nil {
			t.Fatalf("chain %s: %v", fc.Name, err)
		}
		routes := hcm.GetRouteConfig().GetVirtualHosts()
		if len(routes) != 1 || len(routes[0].Routes) != 1 || routes[0].Routes[0].GetNonForwardingAction() == nil {
			t.Errorf("chain %s: want one virtual host with one non-forwarding route, got %v", fc.Name, hcm.GetRouteConfig())
		}
		filters := hcm.GetHttpFilters()
		if len(filters) == 0 || filters[len(filters)-1].Name != names.RouterFilter {
			t.Errorf("chain %s: the router must be the last HTTP filter: %v", fc.Name, filters)
		}
		if ts := fc.GetTransportSocket(); ts != nil {
			var ctx tlsv3.DownstreamTlsContext
			if err := ts.GetTypedConfig().UnmarshalTo(&ctx); err != nil || ts.Name != names.TLSTransportSocket {
				t.Fatalf("chain %s: transport socket %s: %v", fc.Name, ts.Name, err)
			}
			checkProviders(t, fc.Name, ctx.GetCommonTlsContext())
			if len(ctx.GetCommonTlsContext().GetValidationContext().GetMatchSubjectAltNames()) > 0 { //nolint:staticcheck // the field gRPC reads
				t.Errorf("chain %s: SAN matchers on a server (gRPC NACKs them)", fc.Name)
			}
		}
	}
}

func checkProviders(t *testing.T, where string, cc *tlsv3.CommonTlsContext) {
	t.Helper()
	id, root := cc.GetTlsCertificateProviderInstance(), cc.GetValidationContext().GetCaCertificateProviderInstance()
	if id.GetInstanceName() != names.GRPCCertProviderInstance || id.GetCertificateName() != names.WorkloadCertSecret ||
		root.GetInstanceName() != names.GRPCCertProviderInstance || root.GetCertificateName() != names.RootCASecret {
		t.Errorf("%s: certificate providers %v / %v, want instance %q with %q and %q", where, id, root, names.GRPCCertProviderInstance, names.WorkloadCertSecret, names.RootCASecret)
	}
	if len(cc.GetTlsCertificateSdsSecretConfigs()) > 0 || cc.GetValidationContextSdsSecretConfig() != nil {
		t.Errorf("%s: SDS in a gRPC TLS context", where)
	}
}

// deepValidate runs Envoy's proto validation on m and on every message
// packed in an Any inside it, recursively (a listener's own validation
// does not look into its typed configs).
func deepValidate(t *testing.T, where string, m proto.Message) {
	t.Helper()
	if v, ok := m.(interface{ ValidateAll() error }); ok {
		if err := v.ValidateAll(); err != nil {
			t.Errorf("%s: %T: %v", where, m, err)
		}
	}
	var walk func(protoreflect.Message)
	walk = func(r protoreflect.Message) {
		if a, ok := r.Interface().(*anypb.Any); ok {
			inner, err := a.UnmarshalNew()
			if err != nil {
				t.Errorf("%s: %s: %v", where, a.TypeUrl, err)
				return
			}
			deepValidate(t, where, inner)
			return
		}
		r.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList() && fd.Message() != nil:
				for i := 0; i < v.List().Len(); i++ {
					walk(v.List().Get(i).Message())
				}
			case fd.IsMap() && fd.MapValue().Message() != nil:
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool { walk(mv.Message()); return true })
			case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
				walk(v.Message())
			}
			return true
		})
	}
	walk(m.ProtoReflect())
}

// TestGRPCClusterTransport: the per-cluster choice, for a caller with and
// without certificates; no cluster has what gRPC NACKs (transport socket
// matches, SDS).
func TestGRPCClusterTransport(t *testing.T) {
	const istioMutual = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: greeter, namespace: shop}
spec:
  host: greeter
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}`
	greeterSAN := "spiffe://cluster.local/ns/shop/sa/greeter"
	for _, tc := range []struct {
		name  string
		certs bool
		docs  []string
		// want is "mtls <SANs>", "plaintext" or "closed" (no endpoints).
		want string
	}{
		{"auto mTLS to meshed endpoints", true, nil, "mtls " + greeterSAN},
		{"auto mTLS off where the server DISABLEs", true, []string{greeterPeerAuthn("DISABLE", "")}, "plaintext"},
		{"ISTIO_MUTUAL", true, []string{istioMutual}, "mtls " + greeterSAN},
		{"DestinationRule DISABLE", true, []string{strings.Replace(istioMutual, "ISTIO_MUTUAL", "DISABLE", 1)}, "plaintext"},
		{"no certificates: auto mTLS is plaintext", false, nil, "plaintext"},
		{"no certificates: ISTIO_MUTUAL has no endpoints", false, []string{istioMutual}, "closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := proxylessGreeter(t, tc.certs, tc.docs...)
			name := "outbound|7070||greeter.shop.svc.cluster.local"
			got := ""
			for _, c := range r.Clusters {
				deepValidate(t, c.Name, c)
				if len(c.TransportSocketMatches) > 0 {
					t.Errorf("cluster %s: transport socket matches (gRPC NACKs them)", c.Name)
				}
				if c.Name != name {
					continue
				}
				got = "plaintext"
				if ts := c.GetTransportSocket(); ts != nil {
					var ctx tlsv3.UpstreamTlsContext
					if err := ts.GetTypedConfig().UnmarshalTo(&ctx); err != nil || ts.Name != names.TLSTransportSocket {
						t.Fatalf("cluster %s: transport socket %s: %v", c.Name, ts.Name, err)
					}
					checkProviders(t, c.Name, ctx.GetCommonTlsContext())
					got = "mtls"
					for _, m := range ctx.GetCommonTlsContext().GetValidationContext().GetMatchSubjectAltNames() { //nolint:staticcheck // the field gRPC reads
						got += " " + m.GetExact()
					}
				}
			}
			for _, e := range r.Endpoints {
				if e.ClusterName == name && len(e.Endpoints) == 0 && got == "plaintext" {
					got = "closed"
				}
			}
			if got != tc.want {
				t.Errorf("cluster %s: %s, want %s", name, got, tc.want)
			}
		})
	}
}
