package xds

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tracev3 "github.com/envoyproxy/go-control-plane/envoy/config/trace/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tracingv3 "github.com/envoyproxy/go-control-plane/envoy/type/tracing/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
)

// hcmTracing is a connection manager's tracing: the provider's tracer
// sending to its collector cluster, Istio's sampling (random sampling at
// the configured percentage; client-forced and overall at 100%), custom
// tags. Envoy's Zipkin tracer propagates B3 headers (and W3C too when the
// provider asks), its OpenTelemetry tracer W3C trace context, as Istio's
// providers do.
func hcmTracing(t *Tracing, serviceName string) (*hcmv3.HttpConnectionManager_Tracing, collector) {
	provider, c := tracer(t.Provider, serviceName)
	out := &hcmv3.HttpConnectionManager_Tracing{
		ClientSampling:  &typev3.Percent{Value: 100},
		RandomSampling:  &typev3.Percent{Value: t.Sampling},
		OverallSampling: &typev3.Percent{Value: 100},
		Provider:        provider,
		CustomTags:      customTags(t.CustomTags),
	}
	if n := maxTagLength(t); n > 0 {
		out.MaxPathTagLength = wrapperspb.UInt32(n)
	}
	if t.DisableSpanReporting {
		// Envoy has no "propagate but do not report": without a
		// provider it still propagates x-request-id and the incoming
		// trace headers, which is what disableSpanReporting keeps.
		out.Provider = nil
	}
	return out, c
}

// maxTagLength is the provider's maxTagLength, else
// defaultConfig.tracing.maxPathTagLength; 0 leaves Envoy's 256.
func maxTagLength(t *Tracing) uint32 {
	var n uint32
	switch {
	case t.Provider.GetZipkin() != nil:
		n = t.Provider.GetZipkin().GetMaxTagLength()
	case t.Provider.GetOpentelemetry() != nil:
		n = t.Provider.GetOpentelemetry().GetMaxTagLength()
	}
	if n == 0 {
		n = t.MaxPathTagLength
	}
	return n
}

func tracer(p *meshv1alpha1.MeshConfig_ExtensionProvider, serviceName string) (*tracev3.Tracing_Http, collector) {
	if z := p.GetZipkin(); z != nil {
		c := collector{host: providerHost(z.GetService()), port: z.GetPort(), timeout: z.GetTimeout()}
		path := z.GetPath()
		if path == "" {
			path = defaults.ZipkinCollectorPath
		}
		cfg := &tracev3.ZipkinConfig{
			CollectorCluster:         c.cluster(),
			CollectorEndpoint:        path,
			CollectorEndpointVersion: tracev3.ZipkinConfig_HTTP_JSON,
			CollectorHostname:        c.host,
			TraceId_128Bit:           true,
			SharedSpanContext:        wrapperspb.Bool(false),
		}
		if z.GetTraceContextOption() == meshv1alpha1.MeshConfig_ExtensionProvider_ZipkinTracingProvider_USE_B3_WITH_W3C_PROPAGATION {
			cfg.TraceContextOption = tracev3.ZipkinConfig_USE_B3_WITH_W3C_PROPAGATION
		}
		return &tracev3.Tracing_Http{Name: names.ZipkinTracer, ConfigType: &tracev3.Tracing_Http_TypedConfig{TypedConfig: mustAny(cfg)}}, c
	}
	o := p.GetOpentelemetry()
	c := collector{host: providerHost(o.GetService()), port: o.GetPort()}
	cfg := &tracev3.OpenTelemetryConfig{ServiceName: serviceName}
	if h := o.GetHttp(); h != nil {
		c.timeout = h.GetTimeout()
		cfg.HttpService = &corev3.HttpService{
			HttpUri: &corev3.HttpUri{
				Uri:              "http://" + hostPort(c.host, c.port) + h.GetPath(),
				HttpUpstreamType: &corev3.HttpUri_Cluster{Cluster: c.cluster()},
				Timeout:          orDefaultTimeout(h.GetTimeout()),
			},
			RequestHeadersToAdd: headers(h.GetHeaders()),
		}
	} else {
		c.grpc = true
		c.timeout = o.GetGrpc().GetTimeout()
		cfg.GrpcService = &corev3.GrpcService{
			TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{ClusterName: c.cluster(), Authority: c.host}},
			Timeout:         o.GetGrpc().GetTimeout(),
			InitialMetadata: headerValues(o.GetGrpc().GetInitialMetadata()),
		}
	}
	return &tracev3.Tracing_Http{Name: names.OpenTelemetryTracer, ConfigType: &tracev3.Tracing_Http_TypedConfig{TypedConfig: mustAny(cfg)}}, c
}

func customTags(tags []CustomTag) []*tracingv3.CustomTag {
	var out []*tracingv3.CustomTag
	for _, t := range tags {
		ct := &tracingv3.CustomTag{Tag: t.Tag}
		switch {
		case t.Header != "":
			ct.Type = &tracingv3.CustomTag_RequestHeader{RequestHeader: &tracingv3.CustomTag_Header{Name: t.Header, DefaultValue: t.DefaultValue}}
		case t.Environment != "":
			ct.Type = &tracingv3.CustomTag_Environment_{Environment: &tracingv3.CustomTag_Environment{Name: t.Environment, DefaultValue: t.DefaultValue}}
		default:
			ct.Type = &tracingv3.CustomTag_Literal_{Literal: &tracingv3.CustomTag_Literal{Value: t.Literal}}
		}
		out = append(out, ct)
	}
	return out
}
