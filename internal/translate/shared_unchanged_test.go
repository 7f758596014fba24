package translate

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// TestSharedOutputsUnchanged guards the sharing of translated protos: a
// sidecar's outbound clusters, load assignments and default routes are
// built once per model and shared by every outbound half (and the snapshot builder
// marshals them once), so no later step may change them. On every golden
// case, the first sidecar's outbound half is copied deeply, then every
// pod is translated every way a reconcile translates it (sidecar or
// gateway with its post-passes, proxyless with and without certificates,
// the plaintext variant), and the first half must still equal its copy.
func TestSharedOutputsUnchanged(t *testing.T) {
	cases, err := filepath.Glob("testdata/*.in.yaml")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	checked := 0
	for _, in := range cases {
		h := header(t, in)
		b, _, err := Load(append(h.with, in))
		if err != nil {
			t.Fatal(err)
		}
		m := model.Build(b)
		proxies := proxiesOf(t, m)
		first, ok := firstSidecar(proxies)
		if !ok {
			continue
		}
		out := xds.GenerateOutbound(m, first)
		want := deepCopies(out)
		for _, p := range proxies {
			translateEveryWay(m, p)
		}
		if got := deepCopies(out); !equalMessages(got, want) {
			t.Errorf("%s: translating the other proxies changed the first sidecar's outbound resources", filepath.Base(in))
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no golden case has a sidecar")
	}
}

// TestOutboundClustersShared checks that the sharing happens: two
// sidecars of different namespaces, which see the same DestinationRules,
// get the very same cluster, load assignment and default route protos.
func TestOutboundClustersShared(t *testing.T) {
	in := "testdata/weighted-subsets.in.yaml"
	b, _, err := Load(append(header(t, in).with, in))
	if err != nil {
		t.Fatal(err)
	}
	m := model.Build(b)
	a := xds.GenerateOutbound(m, xds.Proxy{Type: names.Sidecar, Namespace: "default"})
	c := xds.GenerateOutbound(m, xds.Proxy{Type: names.Sidecar, Namespace: "other"})
	byName := map[string]proto.Message{}
	for _, x := range c.Clusters {
		byName[x.Name] = x
	}
	for _, x := range c.Endpoints {
		byName["eds "+x.ClusterName] = x
	}
	shared := 0
	for _, x := range a.Clusters {
		if strings.HasPrefix(x.Name, "outbound|") && byName[x.Name] == proto.Message(x) {
			shared++
		}
	}
	for _, x := range a.Endpoints {
		if byName["eds "+x.ClusterName] == proto.Message(x) {
			shared++
		}
	}
	if shared == 0 {
		t.Fatal("no outbound cluster or load assignment is shared between the two namespaces' halves")
	}
	if !sharesARoute(a, c) {
		t.Fatal("no route is shared between the two namespaces' halves")
	}
}

func sharesARoute(a, b *xds.Resources) bool {
	seen := map[proto.Message]bool{}
	for _, rc := range a.Routes {
		for _, vh := range rc.VirtualHosts {
			for _, r := range vh.Routes {
				seen[r] = true
			}
		}
	}
	for _, rc := range b.Routes {
		for _, vh := range rc.VirtualHosts {
			for _, r := range vh.Routes {
				if seen[r] {
					return true
				}
			}
		}
	}
	return false
}

func proxiesOf(t *testing.T, m *model.Model) []xds.Proxy {
	refs := make([]types.NamespacedName, 0, len(m.Pods))
	for ref := range m.Pods {
		refs = append(refs, ref)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].String() < refs[j].String() })
	var out []xds.Proxy
	for _, ref := range refs {
		p, err := ProxyFor(m, ref)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func firstSidecar(ps []xds.Proxy) (xds.Proxy, bool) {
	for _, p := range ps {
		if p.Type == names.Sidecar {
			return p, true
		}
	}
	return xds.Proxy{}, false
}

// translateEveryWay runs each translation a reconcile may run for p.
func translateEveryWay(m *model.Model, p xds.Proxy) {
	full := xds.Generate(m, p)
	xds.WithoutSDS(full)
	xds.EndpointsFor(m, p, full.Clusters)
	for _, certs := range []bool{false, true} {
		q := p
		q.Type, q.CertProviders = names.Sidecar, certs
		xds.WithoutSDS(xds.Combine(xds.GenerateProxyless(m, q), xds.GenerateProxylessInbound(m, q)))
	}
}

func deepCopies(r *xds.Resources) []proto.Message {
	var out []proto.Message
	for _, c := range r.Clusters {
		out = append(out, proto.Clone(c))
	}
	for _, e := range r.Endpoints {
		out = append(out, proto.Clone(e))
	}
	for _, rc := range r.Routes {
		out = append(out, proto.Clone(rc))
	}
	return out
}

func equalMessages(a, b []proto.Message) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !proto.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
