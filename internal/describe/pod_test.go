package describe

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/inject"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/translate"
)

var update = flag.Bool("update", false, "rewrite testdata/*.txt from the current output")

// meshBundle reads testdata/mesh.yaml and admits its pods through the
// injector, as the webhook would have.
func meshBundle(t *testing.T) *bundle.Bundle {
	t.Helper()
	f, err := os.Open("testdata/mesh.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := &bundle.Bundle{}
	if _, err := b.Decode("mesh.yaml", f); err != nil {
		t.Fatal(err)
	}
	labels := map[string]map[string]string{}
	for _, ns := range b.Namespaces {
		labels[ns.Name] = ns.Labels
	}
	s := inject.DefaultSettings().Complete(inject.DefaultControlPlaneNamespace)
	for i := range b.Pods {
		p := &b.Pods[i]
		res := inject.Inject(p, inject.Source{Namespace: inject.Namespace{Name: p.Namespace, Labels: labels[p.Namespace]}}, s)
		if res.Err != nil {
			t.Fatalf("pod %s: %v", p.Name, res.Err)
		}
		b.Pods[i] = *res.Pod
	}
	b.Synthesize()
	return b
}

func describeRef(t *testing.T, b *bundle.Bundle, ref types.NamespacedName) Report {
	t.Helper()
	res, err := translate.Run(b, ref)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b.Pods {
		if b.Pods[i].Name == ref.Name && b.Pods[i].Namespace == ref.Namespace {
			return Pod(res, &b.Pods[i])
		}
	}
	t.Fatalf("no pod %s", ref)
	return Report{}
}

// TestDescribeGolden keeps the printed report of every pod of the mesh;
// `go test ./internal/describe -update` rewrites them.
func TestDescribeGolden(t *testing.T) {
	b := meshBundle(t)
	for _, ref := range []types.NamespacedName{{Namespace: "shop", Name: "web-1"}, {Namespace: "shop", Name: "db-1"},
		{Namespace: "shop", Name: "cache-1"}, {Namespace: "legacy", Name: "old-1"}} {
		t.Run(ref.Name, func(t *testing.T) {
			var out bytes.Buffer
			if err := describeRef(t, b, ref).Write(&out); err != nil {
				t.Fatal(err)
			}
			path := "testdata/" + ref.Name + "." + ref.Namespace + ".txt"
			if *update {
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want, out.Bytes()) {
				t.Errorf("%s is stale (go test ./internal/describe -update):\n%s", path, out.String())
			}
		})
	}
}

// TestInboundDecisions: every level of the precedence, with the policy
// that decided it.
func TestInboundDecisions(t *testing.T) {
	b := meshBundle(t)
	type want struct {
		mode   model.MTLSMode
		level  string
		policy string
	}
	for _, tc := range []struct {
		pod  types.NamespacedName
		port uint32
		want want
	}{
		{types.NamespacedName{Namespace: "shop", Name: "web-1"}, 8080, want{model.MTLSStrict, model.MTLSLevelMesh, "istio-system/default"}},
		{types.NamespacedName{Namespace: "shop", Name: "db-1"}, 5432, want{model.MTLSPermissive, model.MTLSLevelWorkload, "shop/db"}},
		{types.NamespacedName{Namespace: "shop", Name: "db-1"}, 9000, want{model.MTLSDisable, model.MTLSLevelPort, "shop/db"}},
		{types.NamespacedName{Namespace: "legacy", Name: "old-1"}, 8080, want{model.MTLSDisable, model.MTLSLevelNamespace, "legacy/default"}},
	} {
		r := describeRef(t, b, tc.pod)
		var found bool
		for _, in := range r.Inbound {
			if in.Port != tc.port {
				continue
			}
			found = true
			d := in.Decision
			if d.Mode != tc.want.mode || d.Level != tc.want.level || d.Policy == nil || d.Policy.String() != tc.want.policy {
				t.Errorf("%s port %d: %s at %s by %v, want %+v", tc.pod, tc.port, d.Mode, d.Level, d.Policy, tc.want)
			}
		}
		if !found {
			t.Errorf("%s: port %d not described", tc.pod, tc.port)
		}
	}
	web := describeRef(t, b, types.NamespacedName{Namespace: "shop", Name: "web-1"})
	if d := web.Inbound[0].Decision; len(d.Inherited) != 1 || d.Inherited[0].String() != "shop/default" {
		t.Errorf("web's mode should be inherited through shop/default's UNSET, got %v", d.Inherited)
	}
	if old := describeRef(t, b, types.NamespacedName{Namespace: "legacy", Name: "old-1"}); old.Sidecar || len(old.Outbound) != 0 {
		t.Errorf("old-1 has no sidecar: sidecar %v, %d outbound clusters", old.Sidecar, len(old.Outbound))
	}
}

// TestProbeVerdicts: a rewritten probe and a probe on a non-STRICT port
// work; a probe left alone on a STRICT port is refused.
func TestProbeVerdicts(t *testing.T) {
	b := meshBundle(t)
	for _, tc := range []struct {
		pod, container, kind string
		works                bool
		original             string
	}{
		{"web-1", "web", "liveness", true, "HTTP GET :8080/healthz on localhost"},
		{"web-1", "web", "readiness", true, "exec /bin/ready"},
		{"db-1", "db", "liveness", true, "TCP :9000"},
		{"cache-1", "cache", "readiness", false, "TCP :6379"},
	} {
		r := describeRef(t, b, types.NamespacedName{Namespace: "shop", Name: tc.pod})
		var found bool
		for _, p := range r.Probes {
			if p.Container == tc.container && p.Kind == tc.kind {
				found = true
				if p.Works != tc.works || p.Original != tc.original {
					t.Errorf("%s %s %s: works %v asking %q (%s), want %v asking %q", tc.pod, tc.container, tc.kind, p.Works, p.Original, p.Note, tc.works, tc.original)
				}
			}
		}
		if !found {
			t.Errorf("%s: no %s probe of %s", tc.pod, tc.kind, tc.container)
		}
	}
}

// TestOutboundTLS: what web-1's proxy originates to each destination, and
// the reason it gives.
func TestOutboundTLS(t *testing.T) {
	r := describeRef(t, meshBundle(t), types.NamespacedName{Namespace: "shop", Name: "web-1"})
	want := map[string][2]string{
		"outbound|6379||cache.shop.svc.cluster.local": {TLSIstioMutual, "DestinationRule shop/cache trafficPolicy.tls.mode ISTIO_MUTUAL"},
		"outbound|5432||db.shop.svc.cluster.local":    {TLSAuto, "1 of 1 endpoints with a sidecar"},
		"outbound|9000||db.shop.svc.cluster.local":    {TLSNone, "trafficPolicy.portLevelSettings[0].tls.mode DISABLE"},
		"outbound|80||web.shop.svc.cluster.local":     {TLSNone, "DestinationRule shop/web-plain trafficPolicy.tls.mode DISABLE"},
		"outbound|80||old.legacy.svc.cluster.local":   {TLSNone, "namespace legacy DISABLEs mTLS (PeerAuthentication legacy/default)"},
		"outbound|443||api.payments.example":          {TLSNone, "mesh-external"},
	}
	for _, o := range r.Outbound {
		w, ok := want[o.Cluster]
		if !ok {
			continue
		}
		delete(want, o.Cluster)
		if o.TLS != w[0] || !strings.Contains(o.Reason, w[1]) {
			t.Errorf("%s: %s (%s), want %s with %q", o.Cluster, o.TLS, o.Reason, w[0], w[1])
		}
	}
	for c := range want {
		t.Errorf("no outbound cluster %s", c)
	}
	var conflict bool
	for _, p := range r.Problems {
		conflict = conflict || strings.Contains(p, "web-plain") && strings.Contains(p, "STRICT")
	}
	if !conflict {
		t.Errorf("the DISABLE-towards-STRICT conflict on shop/web-plain is not among the problems %v", r.Problems)
	}
}
