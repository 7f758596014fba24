package policy

import (
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func httpSettings(h networkingv1.HTTPSettings) *networkingv1.TrafficPolicy {
	return &networkingv1.TrafficPolicy{ConnectionPool: &networkingv1.ConnectionPoolSettings{HTTP: &h}}
}

func h1Config() *httpv3.HttpProtocolOptions_ExplicitHttpConfig_ {
	return &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
		ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_HttpProtocolOptions{HttpProtocolOptions: &corev3.Http1ProtocolOptions{}},
	}}
}

func h2Config(h2 *corev3.Http2ProtocolOptions) *httpv3.HttpProtocolOptions_ExplicitHttpConfig_ {
	return &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
		ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: h2},
	}}
}

type protocolCase struct {
	name     string
	p        *networkingv1.TrafficPolicy
	http2    bool
	want     *httpv3.HttpProtocolOptions // nil: no options at all (Envoy's HTTP/1.1)
	wantErrs []FieldError
}

var protocolCases = []protocolCase{
	{name: "plain HTTP port says nothing"},
	{name: "http2 port", http2: true, want: &httpv3.HttpProtocolOptions{UpstreamProtocolOptions: h2Config(&corev3.Http2ProtocolOptions{})}},
	{
		name: "UPGRADE makes an HTTP port speak HTTP/2",
		p:    httpSettings(networkingv1.HTTPSettings{H2UpgradePolicy: "UPGRADE"}),
		want: &httpv3.HttpProtocolOptions{UpstreamProtocolOptions: h2Config(&corev3.Http2ProtocolOptions{})},
	},
	{name: "DO_NOT_UPGRADE keeps HTTP/1.1", p: httpSettings(networkingv1.HTTPSettings{H2UpgradePolicy: "DO_NOT_UPGRADE"})},
	{name: "DEFAULT follows the mesh: no upgrade", p: httpSettings(networkingv1.HTTPSettings{H2UpgradePolicy: "DEFAULT"})},
	{
		name: "DO_NOT_UPGRADE does not downgrade a grpc port",
		p:    httpSettings(networkingv1.HTTPSettings{H2UpgradePolicy: "DO_NOT_UPGRADE"}), http2: true,
		want: &httpv3.HttpProtocolOptions{UpstreamProtocolOptions: h2Config(&corev3.Http2ProtocolOptions{})},
	},
	{
		name: "useClientProtocol wins over the port and UPGRADE",
		p:    httpSettings(networkingv1.HTTPSettings{UseClientProtocol: true, H2UpgradePolicy: "UPGRADE", MaxConcurrentStreams: 50}), http2: true,
		want: &httpv3.HttpProtocolOptions{UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_UseDownstreamProtocolConfig{
			UseDownstreamProtocolConfig: &httpv3.HttpProtocolOptions_UseDownstreamHttpConfig{
				HttpProtocolOptions:  &corev3.Http1ProtocolOptions{},
				Http2ProtocolOptions: &corev3.Http2ProtocolOptions{MaxConcurrentStreams: wrapperspb.UInt32(50)},
			},
		}},
	},
	{
		name: "connection limits on HTTP/1.1",
		p: &networkingv1.TrafficPolicy{ConnectionPool: &networkingv1.ConnectionPoolSettings{
			HTTP: &networkingv1.HTTPSettings{IdleTimeout: dur("30s"), MaxRequestsPerConnection: 1},
			TCP:  &networkingv1.TCPSettings{MaxConnectionDuration: dur("1h")},
		}},
		want: &httpv3.HttpProtocolOptions{
			CommonHttpProtocolOptions: &corev3.HttpProtocolOptions{
				IdleTimeout:              durationpb.New(30 * time.Second),
				MaxRequestsPerConnection: wrapperspb.UInt32(1),
				MaxConnectionDuration:    durationpb.New(time.Hour),
			},
			UpstreamProtocolOptions: h1Config(),
		},
	},
	{
		name: "tcp.idleTimeout covers HTTP connections too",
		p:    tcp(networkingv1.TCPSettings{IdleTimeout: dur("2m")}),
		want: &httpv3.HttpProtocolOptions{
			CommonHttpProtocolOptions: &corev3.HttpProtocolOptions{IdleTimeout: durationpb.New(2 * time.Minute)},
			UpstreamProtocolOptions:   h1Config(),
		},
	},
	{
		name: "http.idleTimeout wins over tcp.idleTimeout",
		p: &networkingv1.TrafficPolicy{ConnectionPool: &networkingv1.ConnectionPoolSettings{
			HTTP: &networkingv1.HTTPSettings{IdleTimeout: dur("5s")},
			TCP:  &networkingv1.TCPSettings{IdleTimeout: dur("2m")},
		}},
		want: &httpv3.HttpProtocolOptions{
			CommonHttpProtocolOptions: &corev3.HttpProtocolOptions{IdleTimeout: durationpb.New(5 * time.Second)},
			UpstreamProtocolOptions:   h1Config(),
		},
	},
	{
		name: "maxConcurrentStreams on HTTP/2",
		p:    httpSettings(networkingv1.HTTPSettings{MaxConcurrentStreams: 100}), http2: true,
		want: &httpv3.HttpProtocolOptions{UpstreamProtocolOptions: h2Config(&corev3.Http2ProtocolOptions{MaxConcurrentStreams: wrapperspb.UInt32(100)})},
	},
	{name: "maxConcurrentStreams means nothing on HTTP/1.1", p: httpSettings(networkingv1.HTTPSettings{MaxConcurrentStreams: 100})},
	{
		name:     "unknown upgrade policy",
		p:        httpSettings(networkingv1.HTTPSettings{H2UpgradePolicy: "MAYBE"}),
		wantErrs: []FieldError{fe("trafficPolicy.connectionPool.http.h2UpgradePolicy", `unknown value "MAYBE"`)},
	},
	{
		name:     "invalid idle timeout is skipped",
		p:        httpSettings(networkingv1.HTTPSettings{IdleTimeout: dur("1d")}),
		wantErrs: []FieldError{fe("trafficPolicy.connectionPool.http.idleTimeout", `invalid duration "1d"`)},
	},
}

func TestHTTPProtocolOptions(t *testing.T) {
	for _, tt := range protocolCases {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions()
			o.HTTP2 = tt.http2
			c, errs := applyTo(t, tt.p, o)
			wantErrors(t, errs, tt.wantErrs...)
			protoEqual(t, HTTPProtocolOptionsKey, httpOptions(t, c), tt.want)
			if tt.want == nil && len(c.TypedExtensionProtocolOptions) != 0 {
				t.Errorf("unexpected protocol options %v", c.TypedExtensionProtocolOptions)
			}
		})
	}
}
