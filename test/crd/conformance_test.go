package crd

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/sailplane/sailplane/internal/corpus"
	"github.com/sailplane/sailplane/internal/envtestbin"
)

// corpusDir is Istio's manifest corpus kept beside the repository.
func corpusDir(t *testing.T) string {
	t.Helper()
	d, err := corpus.Dir()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// acceptance is the tally printed at the end of a run.
type acceptance struct {
	accepted    map[string]int
	unsupported []string
	otherKinds  int
}

func (a *acceptance) String() string {
	kinds := make([]string, 0, len(a.accepted))
	total := 0
	for k, n := range a.accepted {
		kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
		total += n
	}
	sort.Strings(kinds)
	return fmt.Sprintf("%d objects accepted in every served version of their group (networking.istio.io %s; security.istio.io %s) and read back identically through each (%s); %d unsupported: [%s]; %d non-Istio objects ignored",
		total, strings.Join(versions(), ", "), strings.Join(versionsOf("PeerAuthentication"), ", "), strings.Join(kinds, ", "),
		len(a.unsupported), strings.Join(a.unsupported, "; "), a.otherKinds)
}

// acceptAll creates every served object of files in each served version
// and checks that every version reads back the spec as written.
func acceptAll(t *testing.T, prefix string, files []string) *acceptance {
	t.Helper()
	tally := &acceptance{accepted: map[string]int{}}
	for i, f := range files {
		docs, err := readDocs(f)
		if err != nil {
			t.Fatal(err)
		}
		rel := filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f)
		for _, obj := range docs {
			switch {
			case !isIstio(obj):
				tally.otherKinds++
			case !serves(obj.GroupVersionKind().GroupKind()):
				tally.unsupported = append(tally.unsupported,
					fmt.Sprintf("%s %s (%s): kind not served by sailplane", obj.GetKind(), obj.GetName(), rel))
			default:
				if acceptOne(t, fmt.Sprintf("%s-%d", prefix, i), rel, obj) {
					tally.accepted[obj.GetKind()]++
				}
			}
		}
	}
	return tally
}

func acceptOne(t *testing.T, nsPrefix, file string, obj *unstructured.Unstructured) bool {
	t.Helper()
	ok := true
	for _, v := range versionsOf(obj.GetKind()) {
		ns := nsPrefix + "-" + v
		ensureNamespace(t, ns)
		if _, err := createAs(obj, v, ns); err != nil {
			t.Errorf("%s: %s %s as %s rejected: %v", file, obj.GetKind(), obj.GetName(), v, err)
			ok = false
			continue
		}
		for _, w := range versionsOf(obj.GetKind()) {
			got, err := get(obj.GetKind(), w, ns, obj.GetName())
			if err != nil {
				t.Errorf("%s: %s %s written as %s, read as %s: %v", file, obj.GetKind(), obj.GetName(), v, w, err)
				ok = false
				continue
			}
			if same, diff := sameSpec(obj, got); !same {
				t.Errorf("%s: %s %s written as %s reads back differently as %s:\n%s", file, obj.GetKind(), obj.GetName(), v, w, diff)
				ok = false
			}
		}
	}
	return ok
}

func TestIstioConformanceCorpusAccepted(t *testing.T) {
	tally := acceptAll(t, "conf", yamlFiles(t, corpusDir(t)))
	t.Logf("conformance corpus: %s", tally)
	if want := servedKinds() - len(corpusLacks); len(tally.accepted) != want {
		t.Errorf("the corpus should exercise all %d served kinds it holds, got %v", want, tally.accepted)
	}
	for kind := range corpusLacks {
		if tally.accepted[kind] > 0 {
			t.Errorf("the corpus now holds %s: drop it from corpusLacks", kind)
		}
	}
	// Every Istio kind in the corpus (Sidecar was the last) is served now:
	// none may be reported as unsupported.
	report := strings.Join(tally.unsupported, "\n")
	if len(tally.unsupported) != 0 || tally.accepted["Sidecar"] != 3 {
		t.Errorf("want the corpus's 3 Sidecars accepted and nothing unsupported, got %d Sidecars; report:\n%s", tally.accepted["Sidecar"], report)
	}
	if strings.Contains(report, "PeerAuthentication ") {
		t.Errorf("PeerAuthentication is served but reported as unsupported:\n%s", report)
	}
}

func TestAuthorizationPolicyExamplesAccepted(t *testing.T) {
	tally := acceptAll(t, "authz", []string{filepath.Join("testdata", "authorizationpolicy-examples.yaml")})
	t.Logf("AuthorizationPolicy examples: %s", tally)
	if tally.accepted["AuthorizationPolicy"] != 10 || len(tally.unsupported) != 0 {
		t.Errorf("want Istio's 10 AuthorizationPolicy examples accepted, got %s", tally)
	}
}

func TestSeedExamplesAccepted(t *testing.T) {
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	tally := acceptAll(t, "seed", yamlFiles(t, filepath.Join(root, "config", "samples")))
	t.Logf("seed examples: %s", tally)
	total := 0
	for _, n := range tally.accepted {
		total += n
	}
	if total != 7 || len(tally.unsupported) != 0 {
		t.Errorf("want the 7 seed objects accepted and none unsupported, got %s", tally)
	}
}

// TestIstioTelemetryExamplesAccepted: the Telemetry examples of Istio's
// documentation apply unchanged in v1 and v1alpha1 and read back the same.
func TestIstioTelemetryExamplesAccepted(t *testing.T) {
	tally := acceptAll(t, "telemetry", []string{filepath.Join("testdata", "telemetry-examples.yaml")})
	t.Logf("telemetry examples: %s", tally)
	if tally.accepted["Telemetry"] != 10 || len(tally.unsupported) != 0 {
		t.Errorf("want the 10 documented Telemetry examples accepted, got %s", tally)
	}
}
