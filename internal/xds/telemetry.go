package xds

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/meshconfig"
	"github.com/sailplane/sailplane/internal/model"
)

// Telemetry is the observability one proxy gets: at most one tracer (Envoy
// takes one per connection manager) and any number of access logs, each
// with the object it came from. The zero value is "nothing": no tracer, no
// log, and the generated config is left as it is.
type Telemetry struct {
	Tracing    *Tracing
	AccessLogs []AccessLog
	// Problems are settings that could not be applied, against their
	// object.
	Problems []ObjectProblem
}

// Tracing is the effective tracer.
type Tracing struct {
	Provider *meshv1alpha1.MeshConfig_ExtensionProvider
	// Sampling is the share of requests traced, in per cent.
	Sampling   float64
	CustomTags []CustomTag
	// MaxPathTagLength is 0 for Envoy's default (256).
	MaxPathTagLength uint32
	// DisableSpanReporting keeps propagating trace context without
	// sending spans.
	DisableSpanReporting bool
	Source               string
}

// CustomTag adds a tag to every span: a literal, a request header or an
// environment variable of the proxy (exactly one of them is set).
type CustomTag struct {
	Tag          string
	Literal      string
	Header       string
	Environment  string
	DefaultValue string
}

// AccessLog is one effective access log.
type AccessLog struct {
	// Provider is the extension provider; nil for meshConfig.accessLogFile.
	Provider *meshv1alpha1.MeshConfig_ExtensionProvider
	// Path is the file of a file log.
	Path string
	// Text is the text format; JSON the JSON fields (one of them is set
	// for a file log; Text for an OpenTelemetry log's body).
	Text string
	JSON map[string]any
	// Labels are the attributes of an OpenTelemetry log record.
	Labels map[string]any
	// Filter is a CEL expression; only matching requests are logged.
	Filter string
	Source string
}

// Empty says the telemetry changes nothing.
func (t Telemetry) Empty() bool { return t.Tracing == nil && len(t.AccessLogs) == 0 }

// TelemetryFor works out the proxy's telemetry from the mesh
// configuration: meshConfig.enableTracing with defaultProviders.tracing
// and defaultConfig.tracing; meshConfig.accessLogFile and
// defaultProviders.accessLogging.
func TelemetryFor(m *model.Model, _ Proxy) Telemetry {
	mc := m.Mesh.OrDefault()
	source := mc.Source
	if source == "" {
		source = "mesh configuration defaults"
	}
	var t Telemetry
	ref, hasRef := model.MeshConfigRef(mc)
	problem := func(field, format string, args ...any) {
		if hasRef {
			t.Problems = append(t.Problems, ObjectProblem{Object: ref, Problem: model.Problem{Field: field, Reason: fmt.Sprintf(format, args...)}})
		}
	}
	dp := mc.Mesh.GetDefaultProviders()
	if mc.EnableTracing() && len(dp.GetTracing()) > 0 {
		if len(dp.GetTracing()) > 1 {
			problem("defaultProviders.tracing", "Envoy takes one tracer per proxy: %q is used, the rest are not", dp.GetTracing()[0])
		}
		t.Tracing = meshTracing(mc, dp.GetTracing()[0], source)
	}
	if f := mc.Mesh.GetAccessLogFile(); f != "" {
		al, err := meshFileLog(mc, f, source)
		if err != nil {
			problem("accessLogFormat", "%v; Istio's default format is used", err)
		}
		t.AccessLogs = append(t.AccessLogs, al)
	}
	for _, name := range dp.GetAccessLogging() {
		al, ok := providerLog(mc, name, source)
		if !ok {
			problem("defaultProviders.accessLogging", "provider %q is not an access log provider (envoyFileAccessLog or envoyOtelAls)", name)
			continue
		}
		t.AccessLogs = append(t.AccessLogs, al)
	}
	return t
}

func meshTracing(mc *meshconfig.Config, provider, source string) *Tracing {
	dc := mc.Mesh.GetDefaultConfig().GetTracing()
	tr := &Tracing{
		Provider:         mc.ExtensionProvider(provider),
		Sampling:         mc.TracingSampling(),
		MaxPathTagLength: dc.GetMaxPathTagLength(),
		Source:           source,
	}
	keys := make([]string, 0, len(dc.GetCustomTags()))
	for k := range dc.GetCustomTags() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ct := dc.GetCustomTags()[k]
		tag := CustomTag{Tag: k}
		switch {
		case ct.GetLiteral() != nil:
			tag.Literal = ct.GetLiteral().GetValue()
		case ct.GetHeader() != nil:
			tag.Header, tag.DefaultValue = ct.GetHeader().GetName(), ct.GetHeader().GetDefaultValue()
		case ct.GetEnvironment() != nil:
			tag.Environment, tag.DefaultValue = ct.GetEnvironment().GetName(), ct.GetEnvironment().GetDefaultValue()
		default:
			continue
		}
		tr.CustomTags = append(tr.CustomTags, tag)
	}
	if tr.Provider == nil || tracerKind(tr.Provider) == "" {
		return nil // checked by meshconfig; unsupported kinds are reported there
	}
	return tr
}

// meshFileLog is meshConfig.accessLogFile with accessLogEncoding and
// accessLogFormat (a JSON object of fields for JSON).
func meshFileLog(mc *meshconfig.Config, path, source string) (AccessLog, error) {
	al := AccessLog{Path: path, Source: source}
	format := mc.Mesh.GetAccessLogFormat()
	if mc.Mesh.GetAccessLogEncoding() != meshv1alpha1.MeshConfig_JSON {
		al.Text = format
		if al.Text == "" {
			al.Text = IstioTextLogFormat
		}
		return al, nil
	}
	al.JSON = IstioJSONLogFormat()
	if format == "" {
		return al, nil
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(format), &fields); err != nil {
		return al, fmt.Errorf("with accessLogEncoding JSON, accessLogFormat must be a JSON object of fields: %v", err)
	}
	al.JSON = fields
	return al, nil
}

// providerLog is an access log provider by name; "envoy" without a
// definition is Istio's built-in stdout file log.
func providerLog(mc *meshconfig.Config, name, source string) (AccessLog, bool) {
	p := mc.ExtensionProvider(name)
	if p == nil && name == meshconfig.EnvoyProvider {
		return AccessLog{Path: "/dev/stdout", Text: IstioTextLogFormat, Source: source}, true
	}
	al := AccessLog{Provider: p, Source: source}
	switch {
	case p.GetEnvoyFileAccessLog() != nil:
		f := p.GetEnvoyFileAccessLog()
		al.Path = f.GetPath()
		switch {
		case f.GetLogFormat().GetLabels() != nil:
			al.JSON = f.GetLogFormat().GetLabels().AsMap()
		case f.GetLogFormat().GetText() != "":
			al.Text = f.GetLogFormat().GetText()
		default:
			al.Text = IstioTextLogFormat
		}
	case p.GetEnvoyOtelAls() != nil:
		f := p.GetEnvoyOtelAls()
		al.Text = f.GetLogFormat().GetText()
		if al.Text == "" {
			al.Text = IstioTextLogFormat
		}
		if f.GetLogFormat().GetLabels() != nil {
			al.Labels = f.GetLogFormat().GetLabels().AsMap()
		}
	default:
		return AccessLog{}, false
	}
	return al, true
}

// tracerKind is "zipkin" or "opentelemetry" for the tracing providers
// sailplane translates, "" for any other.
func tracerKind(p *meshv1alpha1.MeshConfig_ExtensionProvider) string {
	switch {
	case p.GetZipkin() != nil:
		return "zipkin"
	case p.GetOpentelemetry() != nil:
		return "opentelemetry"
	}
	return ""
}

// sourceRef is the object a telemetry source names ("ConfigMap ns/name",
// "Telemetry ns/name"), for problems.
func sourceRef(source string) (model.ObjectRef, bool) {
	kind, rest, ok := strings.Cut(source, " ")
	if !ok {
		return model.ObjectRef{}, false
	}
	ns, name, ok := strings.Cut(rest, "/")
	if !ok {
		return model.ObjectRef{}, false
	}
	return model.ObjectRef{Kind: kind, NamespacedName: types.NamespacedName{Namespace: ns, Name: name}}, true
}
