package xds

import (
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// A sidecar's configuration has two halves with different keys. The
// outbound half (capture listener, HTTP and TCP listeners, routes, clusters,
// endpoints) depends on what the proxy's namespace can see and on the few
// labels rules select sources by; the inbound half depends on the workload's
// own ports. Computing the outbound half once per OutboundInput, and not
// once per distinct set of pod labels, is what keeps translation and memory
// proportional to namespaces rather than to Deployments.
//
// The keys are comparable structs, not strings assembled by hand, and the
// outbound half is generated from its key alone (outboundGenerator): what
// the key does not hold, the half cannot read, so proxies sharing a key
// cannot get each other's configuration wrong.

// OutboundInput is the whole input of a proxy's outbound half beside the
// model: proxies with equal inputs get the same half.
type OutboundInput struct {
	Type      names.ProxyType
	Namespace string
	// SourceLabels are the proxy's labels whose keys some rule matches
	// sources on (model.SourceLabelKeys), encoded by encodeLabels so that
	// the struct stays comparable.
	SourceLabels string
	// Locality is the proxy's, only when some rule makes endpoints depend
	// on it (model.LocalityAware).
	Locality model.Locality
	// Sidecar names the Sidecar resource that scopes the proxy (zero when
	// none does): it decides the hosts and the outbound policy.
	Sidecar types.NamespacedName
	// Proxyless and CertProviders are the proxyless gRPC generator and
	// whether the node holds a certificate (Proxy's fields of those names).
	Proxyless, CertProviders bool
}

// OutboundOf is the outbound input of proxy p.
func OutboundOf(m *model.Model, p Proxy) OutboundInput {
	k := OutboundInput{Type: p.Type, Namespace: p.Namespace, Proxyless: p.Proxyless, CertProviders: p.Proxyless && p.CertProviders}
	k.SourceLabels = encodeLabels(m.SourceLabelKeys, p.Labels)
	if m.LocalityAware {
		k.Locality = p.Locality
	}
	if sc := sidecarOf(m, p); sc != nil {
		k.Sidecar = sc.Ref
	}
	return k
}

// OutboundKey is OutboundOf's String, for callers that key maps by strings.
func OutboundKey(m *model.Model, p Proxy) string { return OutboundOf(m, p).String() }

// String renders the input; equal strings mean equal inputs.
func (k OutboundInput) String() string {
	var b strings.Builder
	b.WriteString(string(k.Type) + "|" + k.Namespace + "|" + k.SourceLabels)
	// "~" cannot appear in a label key, so these never read as labels.
	if k.Locality != "" {
		b.WriteString("|~locality=" + k.Locality)
	}
	if k.Sidecar != (types.NamespacedName{}) {
		b.WriteString("|~sidecar=" + k.Sidecar.String())
	}
	if k.Proxyless {
		b.WriteString("|~grpc|certs=" + strconv.FormatBool(k.CertProviders))
	}
	return b.String()
}

// proxy is the proxy as the outbound half may see it: nothing but the
// key's fields (no workload, no address, only the source labels).
func (k OutboundInput) proxy() Proxy {
	return Proxy{Type: k.Type, Namespace: k.Namespace, Labels: decodeLabels(k.SourceLabels), Locality: k.Locality,
		Proxyless: k.Proxyless, CertProviders: k.CertProviders}
}

// outboundGenerator is the generator of an outbound half, built from its
// key: its Sidecar is the key's, resolved by name, because the labels it
// sees need not include those a Sidecar selects by.
func outboundGenerator(m *model.Model, k OutboundInput) *generator {
	p := k.proxy()
	g := &generator{m: m, proxy: p, out: &Resources{}, proxyless: k.Proxyless, fromKey: true, sidecarRef: k.Sidecar}
	g.gateways = p.gatewayNames(m)
	return g
}

// GroupInput identifies proxies that get identical configuration: same
// kind, same namespace (visibility), same labels (sourceLabels matches,
// workloadSelectors, the services selecting the pod), same locality
// (endpoint priorities and weights), same generator; for a proxyless node
// also its pod, whose address names its server listeners. Replicas of one
// Deployment in one zone share a key and so share one translation.
//
// A sidecar's inbound half also reads its workload's ports, which the key
// leaves to the labels (the services selecting the pod): the inbound
// generator still takes the Proxy.
type GroupInput struct {
	Type      names.ProxyType
	Namespace string
	// Labels are all the proxy's labels (encodeLabels).
	Labels                   string
	Locality                 model.Locality
	Proxyless, CertProviders bool
	// Pod is set for proxyless nodes only.
	Pod types.NamespacedName
}

// GroupOf is the group input of proxy p.
func GroupOf(p Proxy) GroupInput {
	k := GroupInput{Type: p.Type, Namespace: p.Namespace, Locality: p.Locality, Proxyless: p.Proxyless}
	keys := make([]string, 0, len(p.Labels))
	for l := range p.Labels {
		keys = append(keys, l)
	}
	sort.Strings(keys)
	k.Labels = encodeLabels(keys, p.Labels)
	if p.Proxyless {
		k.CertProviders = p.CertProviders
		if p.Workload != nil {
			k.Pod = p.Workload.Ref
		}
	}
	return k
}

// GroupKey is GroupOf's String, for callers that key maps by strings.
func GroupKey(p Proxy) string { return GroupOf(p).String() }

// String renders the input; equal strings mean equal inputs.
func (k GroupInput) String() string {
	s := string(k.Type) + "|" + k.Namespace + "|" + k.Labels
	if k.Locality != "" {
		s += "|~locality=" + k.Locality
	}
	if k.Proxyless {
		s += "|~grpc|certs=" + strconv.FormatBool(k.CertProviders) + "|pod=" + k.Pod.String()
	}
	return s
}

// encodeLabels writes the labels of the given keys (sorted) that are set,
// each key and value quoted: labels from a plaintext node's metadata are
// arbitrary strings, and no value may read as another label.
func encodeLabels(keys []string, labels map[string]string) string {
	var b strings.Builder
	for _, k := range keys {
		if v, ok := labels[k]; ok {
			b.WriteString(strconv.Quote(k) + "=" + strconv.Quote(v) + ",")
		}
	}
	return b.String()
}

// decodeLabels reads what encodeLabels wrote.
func decodeLabels(s string) map[string]string {
	out := map[string]string{}
	for s != "" {
		k, rest := unquotePrefix(s)
		v, rest := unquotePrefix(rest[len("="):])
		out[k], s = v, rest[len(","):]
	}
	return out
}

// unquotePrefix splits a leading quoted string (as strconv.Quote wrote
// it) from s.
func unquotePrefix(s string) (string, string) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		panic("xds: malformed label encoding: " + s) // only encodeLabels writes it
	}
	v, _ := strconv.Unquote(q)
	return v, s[len(q):]
}
