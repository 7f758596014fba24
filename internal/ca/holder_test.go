package ca

import (
	"context"
	"testing"
	"time"

	"github.com/sailplane/sailplane/internal/defaults"
)

func TestHolderNotifiesRealChangesOnly(t *testing.T) {
	h := NewHolder()
	calls := 0
	h.OnChange(func() { calls++ })
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if c, err := h.Wait(ctx); c != nil || err == nil {
		t.Fatalf("Wait on an empty holder = %v, %v; want the context's error", c, err)
	}
	data := selfSigned(t)
	first := mustCA(t, data, false)
	h.Set(first)
	h.Set(mustCA(t, data, false)) // the same material, reloaded
	if calls != 1 {
		t.Errorf("%d notifications after a load and an identical reload, want 1", calls)
	}
	rotated := mustCA(t, with(data, defaults.RootCertKey, selfSigned(t)[defaults.CACertKey]), false)
	h.Set(rotated)
	if calls != 2 || h.Current() != rotated {
		t.Errorf("after rotation: %d notifications, current rotated %v", calls, h.Current() == rotated)
	}
	if c, err := h.Wait(context.Background()); err != nil || c != rotated {
		t.Errorf("Wait = %v, %v", c, err)
	}
}
