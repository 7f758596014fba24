package translate

import (
	"bytes"
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/configdump"
)

// TestShuffledInputGivesIdenticalOutput translates every golden case with
// every input list shuffled, several times, and requires byte-identical
// config dumps and status.
func TestShuffledInputGivesIdenticalOutput(t *testing.T) {
	cases, _ := filepath.Glob("testdata/*.in.yaml")
	for _, in := range cases {
		h := header(t, in)
		want := dumpOf(t, in, h, nil)
		for seed := int64(1); seed <= 5; seed++ {
			got := dumpOf(t, in, h, rand.New(rand.NewSource(seed)))
			if !bytes.Equal(want, got) {
				t.Errorf("%s: output differs when the input is shuffled (seed %d)", in, seed)
			}
		}
	}
}

func dumpOf(t *testing.T, in string, h caseHeader, rng *rand.Rand) []byte {
	t.Helper()
	b, _, err := Load(append(h.with, in))
	if err != nil {
		t.Fatal(err)
	}
	if rng != nil {
		shuffle(b, rng)
	}
	res, err := h.run(b)
	if err != nil {
		t.Fatal(err)
	}
	d, err := configdump.Build(res.Resources, "v")
	if err != nil {
		t.Fatal(err)
	}
	out, err := configdump.JSON(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range res.Model.Status.Lines() {
		out = append(out, l...)
	}
	return out
}

func shuffle(b *bundle.Bundle, rng *rand.Rand) {
	shuffleSlice(rng, b.Namespaces)
	shuffleSlice(rng, b.Services)
	shuffleSlice(rng, b.EndpointSlices)
	shuffleSlice(rng, b.Pods)
	shuffleSlice(rng, b.Secrets)
	shuffleSlice(rng, b.Gateways)
	shuffleSlice(rng, b.VirtualServices)
	shuffleSlice(rng, b.DestinationRules)
	shuffleSlice(rng, b.ServiceEntries)
}

func shuffleSlice[T any](rng *rand.Rand, s []T) {
	rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}
