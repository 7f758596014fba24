package translate

import (
	"fmt"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/xds"
)

// TestRoutesOnlyMatchesFullTranslation checks, for every golden case with
// a sidecar or gateway proxy, that mesh.ComputeRoutesSince, the narrow
// path the console's impact preview takes for a VirtualService change,
// gives exactly what mesh.Compute gives when the change changes nothing:
// the parts it keeps and the parts it translates again (outbound routes and
// the listeners naming them, with telemetry) must fit back together into
// the full translation, whatever the case exercises (TCP and sniffed
// ports, Sidecar scopes, telemetry, gateways).
func TestRoutesOnlyMatchesFullTranslation(t *testing.T) {
	cases, _ := filepath.Glob("testdata/*.in.yaml")
	checked := 0
	for _, in := range cases {
		h := header(t, in)
		if h.generator != "" {
			continue // proxyless clients are translated in full on that path
		}
		b, _, err := Load(append(h.with, in))
		if err != nil {
			t.Fatal(err)
		}
		res := runCase(t, in)
		ref := ParseProxy(h.proxy)
		id := fmt.Sprintf("%s~%s~%s.%s~%s.svc.cluster.local", res.Proxy.Type, res.Proxy.IP, ref.Name, ref.Namespace, ref.Namespace)
		nodes := []mesh.Node{{ID: id}}
		full := mesh.Compute(b, nodes)
		want := full.Resources[id]
		if want == nil {
			continue // the node waits for its pod
		}
		got, ok := mesh.ComputeRoutesSince(b, nodes, full.Resources, full.Model)
		if !ok {
			t.Errorf("%s: the routes-only path declined a change that changes nothing", in)
			continue
		}
		checked++
		sameResources(t, in, want, got.Resources[id])
	}
	t.Logf("%d of %d cases checked", checked, len(cases))
	if checked == 0 {
		t.Fatal("no case was checked")
	}
}

func sameResources(t *testing.T, in string, want, got *xds.Resources) {
	t.Helper()
	w, g := byKey(want), byKey(got)
	if len(w) != len(g) {
		t.Errorf("%s: %d resources, the full translation has %d", in, len(g), len(w))
	}
	for k, m := range w {
		if o, ok := g[k]; !ok || !sameProto(o, m) {
			t.Errorf("%s: %s differs from the full translation's (present: %v)", in, k, ok)
		}
	}
}

// sameProto compares by text, which expands Any and sorts maps:
// proto.Equal compares an Any's bytes, and the access log of
// telemetry-unhonoured packs a JSON format (a Struct, a map) whose encoding
// is not deterministic, so two full translations of that case are not
// proto.Equal either.
func sameProto(a, b proto.Message) bool {
	return proto.Equal(a, b) || prototext.Format(a) == prototext.Format(b)
}

func byKey(r *xds.Resources) map[string]proto.Message {
	out := map[string]proto.Message{}
	for _, c := range r.Clusters {
		out["CDS "+c.Name] = c
	}
	for _, e := range r.Endpoints {
		out["EDS "+e.ClusterName] = e
	}
	for _, l := range r.Listeners {
		out["LDS "+l.Name] = l
	}
	for _, rc := range r.Routes {
		out["RDS "+rc.Name] = rc
	}
	for _, s := range r.Secrets {
		out["SDS "+s.Name] = s
	}
	return out
}
