package xds

import (
	"sort"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	filev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	celv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/filters/cel/v3"
	grpcalsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/grpc/v3"
	otelalsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/open_telemetry/v3"
	otlpcommon "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sailplane/sailplane/internal/names"
)

// otelLogName is the log name Istio's envoyOtelAls provider gives Envoy
// when the provider names none.
const otelLogName = "otel_envoy_accesslog"

// accessLogs builds Envoy's access loggers for the effective logs, and the
// collectors the OpenTelemetry ones send to.
func accessLogs(logs []AccessLog) ([]*accesslogv3.AccessLog, []collector) {
	var out []*accesslogv3.AccessLog
	var cs []collector
	for _, al := range logs {
		var entry *accesslogv3.AccessLog
		if als := al.Provider.GetEnvoyOtelAls(); als != nil {
			c := collector{host: providerHost(als.GetService()), port: als.GetPort(), grpc: true}
			cs = append(cs, c)
			entry = otelLog(al, c, als.GetLogName())
		} else {
			entry = fileLog(al)
		}
		if al.Filter != "" {
			entry.Filter = &accesslogv3.AccessLogFilter{FilterSpecifier: &accesslogv3.AccessLogFilter_ExtensionFilter{
				ExtensionFilter: &accesslogv3.ExtensionFilter{
					Name:       names.CELAccessLogFilter,
					ConfigType: &accesslogv3.ExtensionFilter_TypedConfig{TypedConfig: mustAny(&celv3.ExpressionFilter{Expression: al.Filter})},
				},
			}}
		}
		out = append(out, entry)
	}
	return out, cs
}

func fileLog(al AccessLog) *accesslogv3.AccessLog {
	format := &corev3.SubstitutionFormatString{}
	if al.JSON != nil {
		s, err := structpb.NewStruct(al.JSON)
		if err != nil {
			s, _ = structpb.NewStruct(IstioJSONLogFormat())
		}
		format.Format = &corev3.SubstitutionFormatString_JsonFormat{JsonFormat: s}
	} else {
		format.Format = &corev3.SubstitutionFormatString_TextFormatSource{TextFormatSource: &corev3.DataSource{
			Specifier: &corev3.DataSource_InlineString{InlineString: al.Text},
		}}
	}
	cfg := &filev3.FileAccessLog{Path: al.Path, AccessLogFormat: &filev3.FileAccessLog_LogFormat{LogFormat: format}}
	return &accesslogv3.AccessLog{Name: names.FileAccessLog, ConfigType: &accesslogv3.AccessLog_TypedConfig{TypedConfig: mustAny(cfg)}}
}

func otelLog(al AccessLog, c collector, logName string) *accesslogv3.AccessLog {
	if logName == "" {
		logName = otelLogName
	}
	cfg := &otelalsv3.OpenTelemetryAccessLogConfig{
		CommonConfig: &grpcalsv3.CommonGrpcAccessLogConfig{
			LogName: logName,
			GrpcService: &corev3.GrpcService{TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{
				EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{ClusterName: c.cluster(), Authority: c.host},
			}},
			TransportApiVersion: corev3.ApiVersion_V3,
		},
		Body: &otlpcommon.AnyValue{Value: &otlpcommon.AnyValue_StringValue{StringValue: al.Text}},
	}
	if len(al.Labels) > 0 {
		cfg.Attributes = otelAttributes(al.Labels)
	}
	return &accesslogv3.AccessLog{Name: names.OpenTelemetryALS, ConfigType: &accesslogv3.AccessLog_TypedConfig{TypedConfig: mustAny(cfg)}}
}

// otelAttributes turns the provider's labels into log record attributes,
// sorted by key; non-string values are written as their JSON text.
func otelAttributes(labels map[string]any) *otlpcommon.KeyValueList {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := &otlpcommon.KeyValueList{}
	for _, k := range keys {
		v, ok := labels[k].(string)
		if !ok {
			b, _ := structpb.NewValue(labels[k])
			v = b.String()
		}
		out.Values = append(out.Values, &otlpcommon.KeyValue{Key: k, Value: &otlpcommon.AnyValue{Value: &otlpcommon.AnyValue_StringValue{StringValue: v}}})
	}
	return out
}
