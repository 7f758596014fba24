package translate

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/corpus"
	"github.com/sailplane/sailplane/internal/xds"
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

// TestCorpusTranslates translates every corpus file, together with the
// bookinfo platform manifests, for a proxy in each namespace the file
// touches and for the gateway pod of each Gateway, and requires zero
// invalid or dangling resources. Problems the
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
		pods := map[string]types.NamespacedName{}
		for _, ns := range namespacesOf(b) {
			pods["proxy in "+ns] = probePod(b, ns)
		}
		for _, gw := range b.Gateways {
			pods["gateway pod of "+gw.Namespace+"/"+gw.Name] = gatewayPod(b, gw)
		}
		for _, what := range sortedKeys(pods) {
			res, err := Run(b, pods[what])
			if err != nil {
				t.Errorf("%s, %s: %v", f, what, err)
				continue
			}
			proxies++
			resources += len(res.Resources.Listeners) + len(res.Resources.Routes) + len(res.Resources.Clusters) + len(res.Resources.Endpoints) + len(res.Resources.Secrets)
			checkClean(t, fmt.Sprintf("%s, %s", filepath.Base(f), what), res.Resources)
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

// gatewayPod returns a pod the Gateway selects, adding one (in the
// Gateway's namespace, labelled with its selector) when the bundle has
// none, so every Gateway is translated for a gateway proxy.
func gatewayPod(b *bundle.Bundle, gw networkingv1.Gateway) types.NamespacedName {
	for _, p := range b.Pods {
		if len(gw.Spec.Selector) > 0 && labels.SelectorFromSet(gw.Spec.Selector).Matches(labels.Set(p.Labels)) {
			return types.NamespacedName{Namespace: p.Namespace, Name: p.Name}
		}
	}
	pod := probe(gw.Namespace)
	pod.Name = "gateway-" + gw.Name
	pod.Labels = gw.Spec.Selector
	b.Pods = append(b.Pods, pod)
	return types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
