package policy

import (
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	proxyprotocolv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/proxy_protocol/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

const testCluster = "outbound|9080||reviews.default.svc.cluster.local"

var testObject = types.NamespacedName{Namespace: "default", Name: "reviews"}

// edsCluster is the smallest valid cluster the outbound builder makes:
// EDS over ADS, nothing else.
func edsCluster() *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 testCluster,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		EdsClusterConfig: &clusterv3.Cluster_EdsClusterConfig{
			EdsConfig: &corev3.ConfigSource{
				ResourceApiVersion:    corev3.ApiVersion_V3,
				ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
			},
		},
	}
}

func testOptions() Options {
	return Options{Field: "trafficPolicy", Object: testObject}
}

// applyTo runs Apply on a fresh EDS cluster and fails the test if the
// result is not valid for Envoy, including the typed configs inside it.
func applyTo(t *testing.T, p *networkingv1.TrafficPolicy, o Options) (*clusterv3.Cluster, []FieldError) {
	t.Helper()
	c := edsCluster()
	errs := Apply(c, p, o)
	mustBeValid(t, c)
	return c, errs
}

// applyOK is applyTo for policies that must apply without errors.
func applyOK(t *testing.T, p *networkingv1.TrafficPolicy, o Options) *clusterv3.Cluster {
	t.Helper()
	c, errs := applyTo(t, p, o)
	for _, e := range errs {
		t.Errorf("unexpected error: %v", e)
	}
	return c
}

func mustBeValid(t *testing.T, c *clusterv3.Cluster) {
	t.Helper()
	if err := c.ValidateAll(); err != nil {
		t.Fatalf("cluster is invalid: %v\n%s", err, prototext.Format(c))
	}
	// ValidateAll does not look inside Any: unpack and check each config.
	for key, a := range c.TypedExtensionProtocolOptions {
		m, err := a.UnmarshalNew()
		if err != nil {
			t.Fatalf("protocol options %s: %v", key, err)
		}
		validate(t, key, m)
	}
	checkSocket(t, c.TransportSocket)
}

func checkSocket(t *testing.T, ts *corev3.TransportSocket) {
	t.Helper()
	if ts == nil {
		return
	}
	if err := ts.ValidateAll(); err != nil {
		t.Fatalf("transport socket %s: %v", ts.Name, err)
	}
	m, err := ts.GetTypedConfig().UnmarshalNew()
	if err != nil {
		t.Fatalf("transport socket %s: %v", ts.Name, err)
	}
	validate(t, ts.Name, m)
	if pp, ok := m.(*proxyprotocolv3.ProxyProtocolUpstreamTransport); ok {
		checkSocket(t, pp.TransportSocket)
	}
}

func validate(t *testing.T, what string, m proto.Message) {
	t.Helper()
	v, ok := m.(interface{ ValidateAll() error })
	if !ok {
		t.Fatalf("%s: %T has no validator", what, m)
	}
	if err := v.ValidateAll(); err != nil {
		t.Fatalf("%s is invalid: %v", what, err)
	}
}

// protoEqual fails with both messages printed when they differ.
func protoEqual(t *testing.T, what string, got, want proto.Message) {
	t.Helper()
	if !proto.Equal(got, want) {
		t.Errorf("%s:\n got: %s\nwant: %s", what, prototext.Format(got), prototext.Format(want))
	}
}

func httpOptions(t *testing.T, c *clusterv3.Cluster) *httpv3.HttpProtocolOptions {
	t.Helper()
	a, ok := c.TypedExtensionProtocolOptions[HTTPProtocolOptionsKey]
	if !ok {
		return nil
	}
	out := &httpv3.HttpProtocolOptions{}
	if err := a.UnmarshalTo(out); err != nil {
		t.Fatal(err)
	}
	return out
}

func tlsContext(t *testing.T, ts *corev3.TransportSocket) *tlsv3.UpstreamTlsContext {
	t.Helper()
	if ts == nil {
		return nil
	}
	if ts.Name != TLSTransportSocket {
		t.Fatalf("transport socket %q, want %q", ts.Name, TLSTransportSocket)
	}
	out := &tlsv3.UpstreamTlsContext{}
	if err := ts.GetTypedConfig().UnmarshalTo(out); err != nil {
		t.Fatal(err)
	}
	return out
}

// wantErrors checks the errors' field paths and reasons, in order.
func wantErrors(t *testing.T, got []FieldError, want ...FieldError) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d errors %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range want {
		w := want[i]
		if w.Kind == "" {
			w.Kind = Kind
		}
		if w.Object == (types.NamespacedName{}) {
			w.Object = testObject
		}
		if got[i] != w {
			t.Errorf("error %d:\n got %#v\nwant %#v", i, got[i], w)
		}
	}
}

func fe(field, reason string) FieldError { return FieldError{Field: field, Reason: reason} }

func ptr[T any](v T) *T { return &v }

func dur(s string) *networkingv1.Duration { d := networkingv1.Duration(s); return &d }

// Field paths of the sections, for expected errors.
const (
	lbField  = "trafficPolicy.loadBalancer"
	odField  = "trafficPolicy.outlierDetection"
	tlsField = "trafficPolicy.tls"
)
