package translate

import (
	"bytes"
	"math/rand"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

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
			rng := rand.New(rand.NewSource(seed))
			got := dumpOf(t, in, h, func(b *bundle.Bundle) { shuffle(b, rng) })
			if !bytes.Equal(want, got) {
				t.Errorf("%s: output differs when the input is shuffled (seed %d)", in, seed)
			}
		}
	}
}

// dumpOf is the case's config dump and status, translated from its input
// as edit (when not nil) leaves it.
func dumpOf(t *testing.T, in string, h caseHeader, edit func(*bundle.Bundle)) []byte {
	t.Helper()
	b, _, err := Load(append(h.with, in))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(b)
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

// TestTranslationsGiveIdenticalWireBytes translates every golden case
// several times and requires every resource to marshal to the same bytes:
// the xDS versions are hashes of those bytes, so a packed config whose
// bytes vary (a map inside an Any packed without a fixed order) would make
// every reconcile push unchanged resources to every proxy. The config
// dumps above cannot see this: JSON sorts map keys.
func TestTranslationsGiveIdenticalWireBytes(t *testing.T) {
	cases, _ := filepath.Glob("testdata/*.in.yaml")
	for _, in := range cases {
		want := wireBytes(t, in)
		for i := 0; i < 3; i++ {
			got := wireBytes(t, in)
			for name, b := range want {
				if !bytes.Equal(b, got[name]) {
					t.Errorf("%s: %s marshals to different bytes on another translation", in, name)
				}
			}
		}
	}
}

func wireBytes(t *testing.T, in string) map[string][]byte {
	t.Helper()
	res := runCase(t, in)
	out := map[string][]byte{}
	add := func(kind, name string, m proto.Message) {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		out[kind+" "+name] = b
	}
	r := res.Resources
	for _, l := range r.Listeners {
		add("listener", l.GetName(), l)
	}
	for _, rc := range r.Routes {
		add("route", rc.GetName(), rc)
	}
	for _, c := range r.Clusters {
		add("cluster", c.GetName(), c)
	}
	for _, e := range r.Endpoints {
		add("endpoints", e.GetClusterName(), e)
	}
	return out
}
