package translate

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/model"
)

// TestComputationsDoNotModifyTheirInput: the reconciler collects the
// informer cache's own objects, without deep copies (controllers.Collect),
// so every mesh computation must leave the bundle's objects exactly as it
// found them: their bytes after Compute, Join, the endpoint-only and
// routes-only paths and a single proxy's translation are their bytes
// before, on every golden case.
func TestComputationsDoNotModifyTheirInput(t *testing.T) {
	cases, _ := filepath.Glob("testdata/*.in.yaml")
	if len(cases) == 0 {
		t.Fatal("no golden cases")
	}
	for _, in := range cases {
		h := header(t, in)
		b, _, err := Load(append(h.with, in))
		if err != nil {
			t.Fatal(err)
		}
		before := bundleBytes(t, b)
		nodes := everyKindOfNode(model.Build(b))
		half := len(nodes) / 2
		first := mesh.Compute(b, nodes[:half])
		joined, ok := mesh.Join(first, nodes[half:])
		if !ok {
			t.Fatalf("%s: Join refused Compute's result", in)
		}
		mesh.ComputeEndpointsSince(b, nodes, joined.Resources, joined.Model)
		mesh.ComputeRoutesSince(b, nodes, joined.Resources, joined.Model)
		if _, err := h.run(b); err != nil {
			t.Fatal(err)
		}
		if after := bundleBytes(t, b); !bytes.Equal(before, after) {
			t.Errorf("%s: the computations modified their input objects (first difference at byte %d)", in, firstDiff(before, after))
		}
	}
}

func bundleBytes(t *testing.T, b *bundle.Bundle) []byte {
	t.Helper()
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
