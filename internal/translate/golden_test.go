package translate

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/configdump"
	"github.com/sailplane/sailplane/internal/xds"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output")

// A golden case is testdata/<case>.in.yaml, whose first line names the
// proxy ("# proxy: productpage-v1.default"); its expected output is the
// proxy's config dump in <case>.out.yaml and the status lines (problems
// and unsupported kinds) in <case>.status.txt.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/*.in.yaml")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, in := range cases {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		t.Run(name, func(t *testing.T) {
			dump, status := translateCase(t, in)
			compareGolden(t, strings.TrimSuffix(in, ".in.yaml")+".out.yaml", dump)
			compareGolden(t, strings.TrimSuffix(in, ".in.yaml")+".status.txt", status)
		})
	}
}

// TestGoldenOutputsHaveInputs: an expected output whose case is gone (or
// renamed) fails, so goldens cannot outlive their input; -update deletes
// it.
func TestGoldenOutputsHaveInputs(t *testing.T) {
	for _, pattern := range []string{"testdata/*.out.yaml", "testdata/*.status.txt"} {
		outs, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, out := range outs {
			in := strings.TrimSuffix(strings.TrimSuffix(out, ".out.yaml"), ".status.txt") + ".in.yaml"
			if _, err := os.Stat(in); err == nil {
				continue
			}
			if *update {
				if err := os.Remove(out); err != nil {
					t.Fatal(err)
				}
				continue
			}
			t.Errorf("%s has no case %s (go test ./internal/translate -run TestGolden -update deletes it)", out, in)
		}
	}
}

func translateCase(t *testing.T, in string) ([]byte, []byte) {
	t.Helper()
	h := header(t, in)
	b, unsupported, err := Load(append(h.with, in))
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.run(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range xds.CheckConsistency(res.Resources) {
		t.Errorf("inconsistent config: %v", e)
	}
	d, err := configdump.Build(res.Resources, "golden")
	if err != nil {
		t.Fatal(err)
	}
	out, err := configdump.YAML(d)
	if err != nil {
		t.Fatal(err)
	}
	var status bytes.Buffer
	for _, u := range unsupported {
		status.WriteString("unsupported: " + u.String() + "\n")
	}
	for _, l := range res.Model.Status.Lines() {
		status.WriteString("problem: " + l + "\n")
	}
	return out, status.Bytes()
}

// caseHeader is what a case's leading comment lines say: "# proxy: POD.NS"
// (required), any "# with: FILE" naming shared inputs in testdata/, and
// "# generator: grpc" for a proxyless gRPC client in that pod on the
// plaintext xDS port, "# generator: grpc-mtls" for one that holds a
// certificate (the authenticated port).
type caseHeader struct {
	proxy, generator string
	with             []string
}

// run translates b for the case's proxy with the case's generator.
func (h caseHeader) run(b *bundle.Bundle) (*Result, error) {
	switch h.generator {
	case "grpc":
		return RunProxyless(b, ParseProxy(h.proxy))
	case "grpc-mtls":
		return RunProxylessMTLS(b, ParseProxy(h.proxy))
	}
	return Run(b, ParseProxy(h.proxy))
}

// runCase loads a case with its shared inputs and translates it for the
// case's proxy, failing the test on any error.
func runCase(t *testing.T, in string) *Result {
	t.Helper()
	h := header(t, in)
	b, _, err := Load(append(h.with, in))
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.run(b)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func header(t *testing.T, in string) caseHeader {
	t.Helper()
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var h caseHeader
	sc := bufio.NewScanner(f)
	for sc.Scan() && strings.HasPrefix(sc.Text(), "#") {
		line := strings.TrimSpace(sc.Text())
		if p, ok := strings.CutPrefix(line, "# proxy: "); ok {
			h.proxy = p
		}
		if w, ok := strings.CutPrefix(line, "# with: "); ok {
			h.with = append(h.with, filepath.Join(filepath.Dir(in), w))
		}
		if g, ok := strings.CutPrefix(line, "# generator: "); ok {
			if g != "grpc" && g != "grpc-mtls" {
				t.Fatalf("%s: unknown generator %q (want grpc or grpc-mtls)", in, g)
			}
			h.generator = g
		}
	}
	if h.proxy == "" {
		t.Fatalf("%s: the leading comments must name the proxy: \"# proxy: POD.NAMESPACE\"", in)
	}
	return h
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/translate -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s is stale; diff the output of `go test ./internal/translate -run TestGolden -update` (first difference near line %d)", path, firstDiffLine(want, got))
	}
}

func firstDiffLine(a, b []byte) int {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range la {
		if i >= len(lb) || la[i] != lb[i] {
			return i + 1
		}
	}
	return len(la) + 1
}
