package crd

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sailplane/sailplane/internal/envtestbin"
)

// TestIstioDocsPeerAuthenticationsAccepted applies Istio's own
// PeerAuthentication examples (docs/examples/mtls, written as users apply
// them: unquoted port keys, v1 and v1beta1) in every served version, each
// object in a namespace of its own (several are "default" of different
// namespaces). internal/translate's TestIstioDocsPeerAuthentications
// translates them.
func TestIstioDocsPeerAuthenticationsAccepted(t *testing.T) {
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	accepted := 0
	for i, f := range yamlFiles(t, filepath.Join(root, "docs", "examples", "mtls")) {
		docs, err := readDocs(f)
		if err != nil {
			t.Fatal(err)
		}
		for j, obj := range docs {
			if obj.GetKind() != "PeerAuthentication" {
				t.Errorf("%s: unexpected %s", f, obj.GetKind())
				continue
			}
			if acceptOne(t, fmt.Sprintf("docs-pa-%d-%d", i, j), filepath.Base(f), obj) {
				accepted++
			}
		}
	}
	if accepted != 10 {
		t.Errorf("%d of the examples' 10 PeerAuthentications accepted in every version", accepted)
	}
}
