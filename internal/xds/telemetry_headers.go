package xds

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"

	"github.com/sailplane/sailplane/internal/defaults"
)

// orDefaultTimeout is the provider's timeout, or sailplane's default
// where Envoy requires one.
func orDefaultTimeout(d *durationpb.Duration) *durationpb.Duration {
	if d == nil {
		return durationpb.New(defaults.TelemetryCollectorTimeout)
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
// taken from the environment (envName) is unknown here (meshconfig reports it) and
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
