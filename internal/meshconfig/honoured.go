package meshconfig

import (
	"fmt"
	"sort"

	"google.golang.org/protobuf/reflect/protoreflect"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
)

// honoured maps the MeshConfig fields sailplane acts on, by JSON name, to
// the honoured fields beneath them (nil: the whole field). Every other
// field that is set is reported. Keep this list the one place that says
// what sailplane reads.
var honoured = map[string]map[string]any{
	"enableTracing":     nil,
	"accessLogFile":     nil,
	"accessLogFormat":   nil,
	"accessLogEncoding": nil,
	"trustDomain":       nil,
	"rootNamespace":     nil,
	// outboundTrafficPolicy.mode is the default of every Sidecar that
	// sets none (internal/model/sidecar.go); egressProxy is not honoured.
	"outboundTrafficPolicy": {"mode": nil},
	"extensionProviders":    nil,                                                    // per kind, see providerKinds
	"defaultProviders":      {"tracing": nil, "accessLogging": nil, "metrics": nil}, // metrics: reported below, with why
	"defaultConfig": {
		"tracing": map[string]any{"sampling": nil, "customTags": nil, "maxPathTagLength": nil},
	},
}

// providerKinds are the extension provider kinds sailplane translates (or,
// for ext_authz, parses for the authorization policy that uses them).
var providerKinds = map[string]bool{
	"zipkin":             true,
	"opentelemetry":      true,
	"envoyFileAccessLog": true,
	"envoyOtelAls":       true,
	"envoyExtAuthzHttp":  true,
	"envoyExtAuthzGrpc":  true,
}

// notHonoured lists every set field outside the honoured tree, and
// providers of kinds sailplane does not translate.
func notHonoured(m *meshv1alpha1.MeshConfig) []Problem {
	var out []Problem
	walk(m.ProtoReflect(), "", toTree(honoured), &out)
	for i, p := range m.GetExtensionProviders() {
		kind := providerKind(p)
		if !providerKinds[kind] {
			out = append(out, Problem{
				Field:  fmt.Sprintf("extensionProviders[%d] (%s)", i, p.GetName()),
				Reason: fmt.Sprintf("provider kind %q is not supported by sailplane; supported: zipkin, opentelemetry, envoyFileAccessLog, envoyOtelAls", kind),
			})
		}
	}
	if len(m.GetDefaultProviders().GetMetrics()) > 0 {
		out = append(out, Problem{Field: "defaultProviders.metrics", Reason: "metrics providers are not honoured by sailplane (Envoy's own statistics on port 15090 are always served)"})
	}
	out = append(out, providerProblems(m)...)
	out = append(out, defaultProviderProblems(m)...)
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func toTree(m map[string]map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if v == nil {
			out[k] = nil
			continue
		}
		sub := map[string]any{}
		for k2, v2 := range v {
			sub[k2] = v2
		}
		out[k] = sub
	}
	return out
}

// walk reports the populated fields of msg not covered by tree.
func walk(msg protoreflect.Message, prefix string, tree map[string]any, out *[]Problem) {
	msg.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		name := fd.JSONName()
		path := prefix + name
		sub, ok := tree[name]
		switch {
		case !ok:
			*out = append(*out, Problem{Field: path, Reason: "parsed but not honoured by sailplane"})
		case sub != nil && fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap():
			walk(msg.Get(fd).Message(), path+".", sub.(map[string]any), out)
		}
		return true
	})
}

// providerKind is the JSON name of the provider's oneof field, e.g.
// "zipkin".
func providerKind(p *meshv1alpha1.MeshConfig_ExtensionProvider) string {
	r := p.ProtoReflect()
	od := r.Descriptor().Oneofs().ByName("provider")
	if fd := r.WhichOneof(od); fd != nil {
		return fd.JSONName()
	}
	return ""
}

// ProviderKind is providerKind for callers: "zipkin", "opentelemetry",
// "envoyFileAccessLog", ..., or "" for a provider without one.
func ProviderKind(p *meshv1alpha1.MeshConfig_ExtensionProvider) string { return providerKind(p) }
