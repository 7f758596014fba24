package translate

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
)

// TestPodSkeletonsTranslateAlike translates every golden case from its
// pods' skeletons (what the control plane's cache keeps) and requires the
// config dumps and status of the whole pods.
func TestPodSkeletonsTranslateAlike(t *testing.T) {
	cases, _ := filepath.Glob("testdata/*.in.yaml")
	pods := 0
	for _, in := range cases {
		h := header(t, in)
		want := dumpOf(t, in, h, nil)
		got := dumpOf(t, in, h, func(b *bundle.Bundle) {
			for i := range b.Pods {
				b.Pods[i] = *model.PodSkeleton(&b.Pods[i])
				pods++
			}
		})
		if !bytes.Equal(want, got) {
			t.Errorf("%s: translating the pods' skeletons differs from translating the pods", in)
		}
	}
	if pods == 0 {
		t.Fatal("no golden case has a pod")
	}
}
