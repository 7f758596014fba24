// Package translate is what `sailctl x translate` does, without the flags:
// read manifests, build the model, pick a proxy, and generate its config.
package translate

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// Load reads every file into one bundle and fills in what manifests lack
// (pods for Deployments, cluster IPs). The mesh configuration is ConfigMap
// istio in the default control-plane namespace, if the files hold one.
func Load(files []string) (*bundle.Bundle, []bundle.Unsupported, error) {
	return LoadIn(files, defaults.ControlPlaneNamespace)
}

// LoadIn is Load with the control plane in meshNamespace: its ConfigMap
// istio is the mesh configuration, as the controller would read it.
func LoadIn(files []string, meshNamespace string) (*bundle.Bundle, []bundle.Unsupported, error) {
	b := &bundle.Bundle{}
	var unsupported []bundle.Unsupported
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, nil, err
		}
		u, err := b.Decode(f, fh)
		fh.Close()
		if err != nil {
			return nil, nil, err
		}
		unsupported = append(unsupported, u...)
	}
	if err := b.ReadMeshConfig(meshNamespace); err != nil {
		return nil, nil, err
	}
	b.Synthesize()
	return b, unsupported, nil
}

// ParseProxy reads "pod.namespace" (namespace "default" when absent).
func ParseProxy(s string) types.NamespacedName {
	name, ns, ok := strings.Cut(s, ".")
	if !ok {
		ns = bundle.DefaultNamespace
	}
	return types.NamespacedName{Namespace: ns, Name: name}
}

// ProxyFor finds the pod and decides whether it is a sidecar or, when a
// Gateway selects it, a gateway proxy.
func ProxyFor(m *model.Model, ref types.NamespacedName) (xds.Proxy, error) {
	w := m.Pods[ref]
	if w == nil {
		return xds.Proxy{}, fmt.Errorf("proxy %s: no such pod in the input (pods: %s)", ref, podList(m))
	}
	p := xds.Proxy{Type: names.Sidecar, Namespace: ref.Namespace, Labels: w.Labels, IP: w.IP, Workload: w, Locality: w.Locality}
	for _, gw := range m.Gateways {
		if selectsAll(gw.Spec.Selector, w.Labels) {
			p.Type = names.Router
		}
	}
	return p, nil
}

func selectsAll(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func podList(m *model.Model) string {
	var out []string
	for r := range m.Pods {
		out = append(out, r.Name+"."+r.Namespace)
	}
	sort.Strings(out)
	if len(out) > 10 {
		out = append(out[:10], "...")
	}
	return strings.Join(out, ", ")
}

// Result is one translation.
type Result struct {
	Model     *model.Model
	Proxy     xds.Proxy
	Resources *xds.Resources
}

// Run builds the model from the bundle and generates the proxy's
// configuration; problems found while generating are added to the model's
// status.
func Run(b *bundle.Bundle, proxy types.NamespacedName) (*Result, error) {
	m := model.Build(b)
	p, err := ProxyFor(m, proxy)
	if err != nil {
		return nil, err
	}
	return result(m, p, xds.Translate(m, p, nil)), nil
}

// RunProxyless is Run for a proxyless gRPC client in the pod (node
// metadata GENERATOR: grpc) as the plaintext xDS port serves it: the pod's
// namespace and labels decide what it sees, and it gets what xds.Translate
// gives a proxyless node: client listeners, routes and clusters, and the
// server listeners of the pod's ports.
func RunProxyless(b *bundle.Bundle, proxy types.NamespacedName) (*Result, error) {
	return runProxyless(b, proxy, false)
}

// RunProxylessMTLS is RunProxyless for a node that proved its identity on
// the authenticated port and so holds a certificate in its bootstrap's
// certificate providers: its clusters and server listeners use mutual TLS.
func RunProxylessMTLS(b *bundle.Bundle, proxy types.NamespacedName) (*Result, error) {
	return runProxyless(b, proxy, true)
}

func runProxyless(b *bundle.Bundle, proxy types.NamespacedName, certs bool) (*Result, error) {
	m := model.Build(b)
	p, err := ProxyFor(m, proxy)
	if err != nil {
		return nil, err
	}
	p.Type = names.Sidecar // proxyless node ids are sidecar~...
	p.Proxyless, p.CertProviders = true, certs
	return result(m, p, xds.Translate(m, p, nil)), nil
}

func result(m *model.Model, p xds.Proxy, r *xds.Resources) *Result {
	for _, pr := range r.Problems {
		m.Status.Add(pr.Object, pr.Field, "%s", pr.Reason)
	}
	return &Result{Model: m, Proxy: p, Resources: r}
}
