package translate

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/envtestbin"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xds/simulate"
)

// TestIstioDocsPeerAuthentications translates Istio's own PeerAuthentication
// examples (docs/examples/mtls/pa-*.yaml, as users apply them) over two
// workloads and checks, for each port the example's "# expect:" line names,
// what the workload's virtualInbound does with a mesh client and a
// plaintext one: STRICT takes mTLS only, PERMISSIVE both, DISABLE
// plaintext only (mesh TLS bytes reach the app undecrypted). Nothing in
// them may be reported, and the generated configuration must be consistent.
func TestIstioDocsPeerAuthentications(t *testing.T) {
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	examples, _ := filepath.Glob(filepath.Join(root, "docs", "examples", "mtls", "pa-*.yaml"))
	if len(examples) < 6 {
		t.Fatalf("found %d PeerAuthentication examples, want the docs' set", len(examples))
	}
	mesh := simulate.Conn{TLS: true, ALPN: []string{"istio"}, ClientCert: true}
	plain := simulate.Conn{}
	for _, ex := range examples {
		t.Run(filepath.Base(ex), func(t *testing.T) {
			b, unsupported, err := Load([]string{"testdata/istio-docs-mtls.workloads.yaml", ex})
			if err != nil || len(unsupported) > 0 {
				t.Fatalf("load: %v %v", err, unsupported)
			}
			for pod, ports := range expectations(t, ex) {
				res, err := Run(b, types.NamespacedName{Namespace: "foo", Name: pod + "-1"})
				if err != nil {
					t.Fatal(err)
				}
				for _, line := range res.Model.Status.Lines() {
					t.Errorf("problem: %s", line)
				}
				for _, err := range xds.CheckConsistency(res.Resources) {
					t.Errorf("%s: %v", pod, err)
				}
				for port, mode := range ports {
					checkInbound(t, res, pod, port, mode, mesh, plain)
				}
			}
		})
	}
}

func checkInbound(t *testing.T, res *Result, pod string, port uint32, mode model.MTLSMode, mesh, plain simulate.Conn) {
	t.Helper()
	mesh.Port, plain.Port = port, port
	m, err := simulate.Inbound(res.Resources, mesh)
	if err != nil {
		t.Fatal(err)
	}
	p, err := simulate.Inbound(res.Resources, plain)
	if err != nil {
		t.Fatal(err)
	}
	var meshOK, meshDecrypted, plainOK = m.Refused == "", m.MTLS, p.Refused == ""
	want := map[model.MTLSMode][3]bool{
		model.MTLSStrict:     {true, true, false},
		model.MTLSPermissive: {true, true, true},
		model.MTLSDisable:    {true, false, true},
	}[mode]
	if got := [3]bool{meshOK, meshDecrypted, plainOK}; got != want {
		t.Errorf("%s port %d (%s): mesh client accepted %v, mTLS terminated %v; plaintext accepted %v (refusals %q, %q)",
			pod, port, mode, meshOK, meshDecrypted, plainOK, m.Refused, p.Refused)
	}
}

// expectations reads "# expect: finance 8080=STRICT 9080=STRICT; other 9080=STRICT".
func expectations(t *testing.T, file string) map[string]map[uint32]model.MTLSMode {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[uint32]model.MTLSMode{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "# expect: ")
		if !ok {
			continue
		}
		for _, part := range strings.Split(line, ";") {
			fields := strings.Fields(part)
			ports := map[uint32]model.MTLSMode{}
			for _, f := range fields[1:] {
				var port uint32
				var mode string
				k, v, _ := strings.Cut(f, "=")
				if _, err := fmt.Sscan(k, &port); err != nil {
					t.Fatalf("%s: bad expectation %q", file, f)
				}
				mode = v
				ports[port] = model.MTLSMode(mode)
			}
			out[fields[0]] = ports
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s has no # expect: line", file)
	}
	return out
}
