package policy

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func downstream(h2 *corev3.Http2ProtocolOptions, common *corev3.HttpProtocolOptions) *httpv3.HttpProtocolOptions {
	return &httpv3.HttpProtocolOptions{CommonHttpProtocolOptions: common, UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_UseDownstreamProtocolConfig{
		UseDownstreamProtocolConfig: &httpv3.HttpProtocolOptions_UseDownstreamHttpConfig{
			HttpProtocolOptions:  &corev3.Http1ProtocolOptions{},
			Http2ProtocolOptions: h2,
		},
	}}
}

// A sidecar's cluster for a port whose protocol is detected speaks the
// protocol the client spoke, as Istio's do; h2UpgradePolicy does not
// change that (Istio upgrades declared HTTP ports only), connection limits
// still apply.
func TestSniffedPortUsesDownstreamProtocol(t *testing.T) {
	for _, tt := range []struct {
		name string
		p    *networkingv1.TrafficPolicy
		want *httpv3.HttpProtocolOptions
	}{
		{name: "no policy", want: downstream(&corev3.Http2ProtocolOptions{}, nil)},
		{name: "UPGRADE", p: httpSettings(networkingv1.HTTPSettings{H2UpgradePolicy: "UPGRADE"}), want: downstream(&corev3.Http2ProtocolOptions{}, nil)},
		{
			name: "limits",
			p:    httpSettings(networkingv1.HTTPSettings{MaxConcurrentStreams: 7, MaxRequestsPerConnection: 3}),
			want: downstream(&corev3.Http2ProtocolOptions{MaxConcurrentStreams: wrapperspb.UInt32(7)}, &corev3.HttpProtocolOptions{MaxRequestsPerConnection: wrapperspb.UInt32(3)}),
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions()
			o.UseDownstream = true
			c, errs := applyTo(t, tt.p, o)
			wantErrors(t, errs)
			protoEqual(t, HTTPProtocolOptionsKey, httpOptions(t, c), tt.want)
		})
	}
}
