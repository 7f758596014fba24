package translate

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

func translateCase(t *testing.T, in string) ([]byte, []byte) {
	t.Helper()
	proxy, with := header(t, in)
	b, unsupported, err := Load(append(with, in))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(b, ParseProxy(proxy))
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

// header reads the case's leading comment lines: "# proxy: POD.NS" (required)
// and any "# with: FILE" naming shared inputs in testdata/.
func header(t *testing.T, in string) (string, []string) {
	t.Helper()
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var proxy string
	var with []string
	sc := bufio.NewScanner(f)
	for sc.Scan() && strings.HasPrefix(sc.Text(), "#") {
		line := strings.TrimSpace(sc.Text())
		if p, ok := strings.CutPrefix(line, "# proxy: "); ok {
			proxy = p
		}
		if w, ok := strings.CutPrefix(line, "# with: "); ok {
			with = append(with, filepath.Join(filepath.Dir(in), w))
		}
	}
	if proxy == "" {
		t.Fatalf("%s: the leading comments must name the proxy: \"# proxy: POD.NAMESPACE\"", in)
	}
	return proxy, with
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
