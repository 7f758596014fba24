package translate

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/envtestbin"
	"github.com/sailplane/sailplane/internal/xds"
)

// corpusDir is Istio's manifest corpus kept beside the repository.
func corpusDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("SAILPLANE_CONFORMANCE_DIR"); d != "" {
		return d
	}
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	d := filepath.Join(root, "..", "shared", "conformance", "istio")
	if _, err := os.Stat(d); err != nil {
		t.Fatalf("conformance corpus not found at %s (set SAILPLANE_CONFORMANCE_DIR): %v", d, err)
	}
	return d
}

// TestCorpusTranslates translates every corpus file, together with the
// bookinfo platform manifests, for a proxy in each namespace the file
// touches, and requires zero invalid or dangling resources. Problems the
// rules legitimately have (a host outside the registry, say) are allowed:
// they are status, not broken config.
func TestCorpusTranslates(t *testing.T) {
	dir := corpusDir(t)
	platform := filepath.Join(dir, "bookinfo", "platform-bookinfo.yaml")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.yaml"))
	sort.Strings(files)
	proxies, resources := 0, 0
	for _, f := range files {
		b, _, err := Load(uniq(platform, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, ns := range namespacesOf(b) {
			res, err := Run(b, probePod(b, ns))
			if err != nil {
				t.Errorf("%s, proxy in %s: %v", f, ns, err)
				continue
			}
			proxies++
			resources += len(res.Resources.Listeners) + len(res.Resources.Routes) + len(res.Resources.Clusters) + len(res.Resources.Endpoints)
			checkClean(t, fmt.Sprintf("%s, proxy in %s", filepath.Base(f), ns), res.Resources)
		}
	}
	t.Logf("corpus: %d files translated for %d proxies, %d resources, all valid and consistent", len(files), proxies, resources)
}

func checkClean(t *testing.T, what string, r *xds.Resources) {
	t.Helper()
	for _, p := range r.Problems {
		if strings.Contains(p.Reason, "invalid Envoy config") {
			t.Errorf("%s: %s", what, p.Reason)
		}
	}
	for _, err := range xds.CheckConsistency(r) {
		t.Errorf("%s: %v", what, err)
	}
}

func uniq(files ...string) []string {
	if files[0] == files[1] {
		return files[:1]
	}
	return files
}

// namespacesOf lists every namespace an object of the bundle lives in.
func namespacesOf(b *bundle.Bundle) []string {
	set := map[string]bool{bundle.DefaultNamespace: true}
	for _, vs := range b.VirtualServices {
		set[vs.Namespace] = true
	}
	for _, dr := range b.DestinationRules {
		set[dr.Namespace] = true
	}
	for _, se := range b.ServiceEntries {
		set[se.Namespace] = true
	}
	for _, gw := range b.Gateways {
		set[gw.Namespace] = true
	}
	var out []string
	for ns := range set {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// probePod returns a pod in ns, adding a plain one when the namespace has
// none, so every namespace gets a proxy.
func probePod(b *bundle.Bundle, ns string) types.NamespacedName {
	for _, p := range b.Pods {
		if p.Namespace == ns {
			return types.NamespacedName{Namespace: ns, Name: p.Name}
		}
	}
	b.Pods = append(b.Pods, probe(ns))
	return types.NamespacedName{Namespace: ns, Name: "probe"}
}
