package xds

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	"k8s.io/apimachinery/pkg/types"

	telemetryv1 "github.com/sailplane/sailplane/api/telemetry/v1"
	"github.com/sailplane/sailplane/internal/meshconfig"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// Telemetry is the observability one proxy gets, per side: its client
// side (outbound listeners; a gateway's listeners) and its server side
// (inbound). Each side has at most one tracer (Envoy takes one per
// connection manager) and any number of access logs, each naming the
// objects it came from. The zero value changes nothing.
type Telemetry struct {
	Client, Server Side
}

// Side is the telemetry of one side of a proxy.
type Side struct {
	Tracing    *Tracing
	AccessLogs []AccessLog
}

func (s Side) empty() bool { return s.Tracing == nil && len(s.AccessLogs) == 0 }

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
	// Source names the objects that decided it, least specific first,
	// separated by ", ".
	Source string
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
	// Name is the provider's name ("envoy" for meshConfig.accessLogFile).
	Name string
	// Provider is the extension provider; nil for meshConfig.accessLogFile
	// and Istio's built-in "envoy".
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
func (t Telemetry) Empty() bool { return t.Client.empty() && t.Server.empty() }

// TelemetryFor works out the proxy's telemetry: the mesh configuration
// (meshConfig.enableTracing, defaultProviders, defaultConfig.tracing,
// accessLogFile) overridden, field by field, by the Telemetries that apply
// to the proxy, least specific first (root namespace, namespace,
// workload selector).
func TelemetryFor(m *model.Model, p Proxy) Telemetry {
	r := newTelemetryResolver(m)
	chain := m.Telemetry.TelemetriesFor(p.Namespace, p.Labels)
	var t Telemetry
	if p.Type == names.Router {
		t.Client = r.side(chain, "")
		t.Server = t.Client
		return t
	}
	t.Client = r.side(chain, telemetryv1.Client)
	t.Server = r.side(chain, telemetryv1.Server)
	return t
}

// telemetryResolver resolves one proxy's sides against the mesh
// configuration.
type telemetryResolver struct {
	mc     *meshconfig.Config
	source string
	// meshLogs are the mesh configuration's own logs, by provider name.
	meshLogs map[string]AccessLog
}

func newTelemetryResolver(m *model.Model) *telemetryResolver {
	mc := m.Mesh.OrDefault()
	r := &telemetryResolver{mc: mc, source: mc.Source, meshLogs: map[string]AccessLog{}}
	if r.source == "" {
		r.source = "mesh configuration defaults"
	}
	// What cannot be used here (a second tracing provider, a provider of
	// the wrong kind, a JSON format that is not JSON) is reported by
	// meshconfig; these fall back as Istio does.
	if f := mc.Mesh.GetAccessLogFile(); f != "" {
		al, _ := meshFileLog(mc, f, r.source)
		r.meshLogs[r.accessLogFileName()] = al
	}
	for _, name := range mc.Mesh.GetDefaultProviders().GetAccessLogging() {
		if al, ok := providerLog(mc, name, r.source); ok {
			r.meshLogs[name] = al
		}
	}
	return r
}

// accessLogFileName is the provider name meshConfig.accessLogFile goes by
// in Telemetries: Istio's built-in "envoy", unless a provider of that name
// is defined.
func (r *telemetryResolver) accessLogFileName() string {
	if r.mc.ExtensionProvider(meshconfig.EnvoyProvider) == nil {
		return meshconfig.EnvoyProvider
	}
	return "accessLogFile"
}

// matches says an entry's mode applies to the side ("" is a gateway,
// whose listeners are both).
func matches(mode telemetryv1.WorkloadMode, side telemetryv1.WorkloadMode) bool {
	return mode == "" || mode == telemetryv1.ClientAndServer || side == "" || mode == side
}

func (r *telemetryResolver) side(chain []*model.Telemetry, mode telemetryv1.WorkloadMode) Side {
	return Side{Tracing: r.tracing(chain, mode), AccessLogs: r.logs(chain, mode)}
}

// tracing layers the Telemetries' first matching tracing entry over the
// mesh configuration. meshConfig.enableTracing: false turns off the
// tracing that comes from defaultProviders alone; a Telemetry that traces
// still does.
func (r *telemetryResolver) tracing(chain []*model.Telemetry, mode telemetryv1.WorkloadMode) *Tracing {
	base := meshTracing(r.mc, r.source)
	providers := r.mc.Mesh.GetDefaultProviders().GetTracing()
	sources := []string{r.source}
	applied := false
	tags := map[string]CustomTag{}
	for _, ct := range base.CustomTags {
		tags[ct.Tag] = ct
	}
	for _, t := range chain {
		entry := firstTracing(t.Spec.Tracing, mode)
		if entry == nil {
			continue
		}
		applied = true
		sources = append(sources, "Telemetry "+t.Ref.String())
		if len(entry.Providers) > 0 {
			providers = []string{entry.Providers[0].Name}
		}
		if entry.RandomSamplingPercentage != nil {
			base.Sampling = *entry.RandomSamplingPercentage
		}
		if entry.DisableSpanReporting != nil {
			base.DisableSpanReporting = *entry.DisableSpanReporting
		}
		for k, ct := range entry.CustomTags {
			tags[k] = telemetryTag(k, ct)
		}
	}
	if (!applied && !r.mc.EnableTracing()) || len(providers) == 0 {
		return nil
	}
	base.Provider = r.mc.ExtensionProvider(providers[0])
	if base.Provider == nil || tracerKind(base.Provider) == "" {
		return nil // reported against the Telemetry or the mesh configuration
	}
	base.CustomTags = sortedTags(tags)
	base.Source = strings.Join(sources, ", ")
	return base
}

func firstTracing(entries []telemetryv1.Tracing, mode telemetryv1.WorkloadMode) *telemetryv1.Tracing {
	for i, e := range entries {
		var m telemetryv1.WorkloadMode
		if e.Match != nil {
			m = e.Match.Mode
		}
		if matches(m, mode) {
			return &entries[i]
		}
	}
	return nil
}

func telemetryTag(name string, ct telemetryv1.CustomTag) CustomTag {
	tag := CustomTag{Tag: name}
	switch {
	case ct.Literal != nil:
		tag.Literal = ct.Literal.Value
	case ct.Header != nil:
		tag.Header, tag.DefaultValue = ct.Header.Name, ct.Header.DefaultValue
	case ct.Environment != nil:
		tag.Environment, tag.DefaultValue = ct.Environment.Name, ct.Environment.DefaultValue
	}
	return tag
}

func sortedTags(tags map[string]CustomTag) []CustomTag {
	out := make([]CustomTag, 0, len(tags))
	for _, t := range tags {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tag < out[j].Tag })
	return out
}

// logs layers the Telemetries' matching access log entries over the mesh
// configuration's logs, provider by provider: a more specific entry
// enables, disables or filters the providers it names (the default
// providers when it names none).
func (r *telemetryResolver) logs(chain []*model.Telemetry, mode telemetryv1.WorkloadMode) []AccessLog {
	state := map[string]AccessLog{}
	enabled := map[string]bool{}
	for name, al := range r.meshLogs {
		al.Name = name
		state[name], enabled[name] = al, true
	}
	for _, t := range chain {
		source := "Telemetry " + t.Ref.String()
		for _, e := range t.Spec.AccessLogging {
			var m telemetryv1.WorkloadMode
			if e.Match != nil {
				m = e.Match.Mode
			}
			if !matches(m, mode) {
				continue
			}
			for _, name := range r.entryProviders(e) {
				al, ok := state[name]
				if !ok {
					if al, ok = providerLog(r.mc, name, source); !ok {
						continue // reported against the Telemetry
					}
					al.Name = name
				}
				al.Source = source
				al.Filter = ""
				if e.Filter != nil {
					al.Filter = e.Filter.Expression
				}
				state[name] = al
				enabled[name] = e.Disabled == nil || !*e.Disabled
			}
		}
	}
	keys := make([]string, 0, len(state))
	for k := range state {
		if enabled[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]AccessLog, 0, len(keys))
	for _, k := range keys {
		out = append(out, state[k])
	}
	return out
}

// entryProviders are the providers an access log entry names, or the
// mesh's default ones (meshConfig.accessLogFile among them) when it names
// none.
func (r *telemetryResolver) entryProviders(e telemetryv1.AccessLogging) []string {
	var out []string
	for _, p := range e.Providers {
		out = append(out, p.Name)
	}
	if len(out) > 0 {
		return out
	}
	out = append(out, r.mc.Mesh.GetDefaultProviders().GetAccessLogging()...)
	if r.mc.Mesh.GetAccessLogFile() != "" {
		out = append(out, r.accessLogFileName())
	}
	return out
}

// meshTracing is defaultConfig.tracing: sampling, custom tags and path
// tag length, before any provider is chosen.
func meshTracing(mc *meshconfig.Config, source string) *Tracing {
	dc := mc.Mesh.GetDefaultConfig().GetTracing()
	tr := &Tracing{
		Sampling:         mc.TracingSampling(),
		MaxPathTagLength: dc.GetMaxPathTagLength(),
		Source:           source,
	}
	for k, ct := range dc.GetCustomTags() {
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
