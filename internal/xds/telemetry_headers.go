package xds

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
)

// telemetryTimeout is a collector call's timeout when the provider sets
// none (Istio's providers default to 5s where Envoy needs one).
const telemetryTimeout = 5

func orDefaultTimeout(d *durationpb.Duration) *durationpb.Duration {
	if d == nil {
		return &durationpb.Duration{Seconds: telemetryTimeout}
	}
	return d
}

// headers are a provider's extra request headers.
func headers(hs []*meshv1alpha1.MeshConfig_ExtensionProvider_HttpHeader) []*corev3.HeaderValueOption {
	var out []*corev3.HeaderValueOption
	for _, h := range headerValues(hs) {
		out = append(out, &corev3.HeaderValueOption{Header: h, AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD})
	}
	return out
}

// headerValues are a provider's headers or gRPC initial metadata; a value
// taken from the environment (envName) is left to Envoy's bootstrap and
// not sent.
func headerValues(hs []*meshv1alpha1.MeshConfig_ExtensionProvider_HttpHeader) []*corev3.HeaderValue {
	var out []*corev3.HeaderValue
	for _, h := range hs {
		if h.GetValue() == "" {
			continue
		}
		out = append(out, &corev3.HeaderValue{Key: h.GetName(), Value: h.GetValue()})
	}
	return out
}
