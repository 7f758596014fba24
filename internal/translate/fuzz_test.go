package translate

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/configdump"
	"github.com/sailplane/sailplane/internal/xds"
)

// FuzzTranslate runs the whole offline path, manifests to model to
// translation to config dump, on mutated manifests and fails on a panic or
// on anything Envoy would refuse: a resource failing proto validation, a
// domain twice in a route configuration (in lower case), a regex RE2
// refuses or whose program is over Envoy's limit, a route, weighted
// cluster, mirror or tcp_proxy naming a missing cluster, an EDS cluster
// without a load assignment, an RDS name without a route configuration, an
// SDS secret neither among the resources nor a workload secret
// (xds.CheckConsistency checks all of these).
//
// doc is a manifest stream; ops, when not empty, drives the structural
// mutator (fuzz_mutate_test.go) over doc's documents. With ops empty, or
// when doc is no longer YAML, doc goes to the decoder as it is: the raw
// mode, for the decoder's own sake.
//
// Seeds: every golden input with its "# with:" files, and Istio manifests
// copied into testdata/fuzzseed/istio, each raw and with a few fixed ops.
func FuzzTranslate(f *testing.F) {
	for _, doc := range fuzzSeeds(f) {
		f.Add(doc, []byte(nil))
		for _, ops := range seedOps {
			f.Add(doc, ops)
		}
	}
	f.Fuzz(fuzzTranslate)
}

// fuzzTranslate is one input: doc mutated by ops, decoded, translated for
// every proxy fuzzProxies picks, and checked.
func fuzzTranslate(t *testing.T, doc, ops []byte) {
	in := doc
	if len(ops) > 0 {
		if m, ok := mutate(doc, ops); ok {
			in = m
		}
	}
	// A hang is a bug too. The fuzzing engine saves the input of a
	// worker that crashes, not of one that never returns: so crash.
	watchdog := time.AfterFunc(fuzzDeadline, func() {
		panic(fmt.Sprintf("FuzzTranslate: one input took over %v; input:\n%s", fuzzDeadline, docsString(in)))
	})
	defer watchdog.Stop()
	b, ok := fuzzBundle(in)
	if !ok {
		return // refused with a reason: what the decoder is for
	}
	for _, p := range fuzzProxies(b, proxyHint(doc)) {
		res, err := p.run(b, p.pod)
		if err != nil {
			t.Fatalf("%s: %v", p.what, err)
		}
		for _, e := range xds.CheckConsistency(res.Resources) {
			if !failsClosed(res.Resources, e) {
				t.Errorf("%s: Envoy would refuse: %v", p.what, e)
			}
		}
		if _, err := configdump.Build(res.Resources, "fuzz"); err != nil {
			t.Errorf("%s: config dump: %v", p.what, err)
		}
		_ = res.Model.Status.Lines()
		if t.Failed() {
			t.Logf("input:\n%s", docsString(in))
			return
		}
	}
}

// failsClosed says whether e is the one dangling reference the generator
// makes on purpose: a cluster whose DestinationRule names a credential
// Secret that cannot be served keeps asking for it (it fails closed rather
// than falling back to plain text), and the generator reports it against
// the rule. Envoy keeps such a cluster warming; it refuses nothing.
func failsClosed(r *xds.Resources, e error) bool {
	cluster, rest, ok := strings.Cut(strings.TrimPrefix(e.Error(), "cluster "), ": SDS secret ")
	if !ok || !strings.HasSuffix(rest, " missing") || !strings.HasPrefix(e.Error(), "cluster ") {
		return false
	}
	for _, p := range r.Problems {
		if p.Object.Kind == "DestinationRule" && strings.HasPrefix(p.Reason, "cluster "+cluster+" cannot present or verify certificates: ") {
			return true
		}
	}
	return false
}

// fuzzBundle decodes in and synthesizes what manifests lack, as Load
// does; false when the decoder refuses in.
func fuzzBundle(in []byte) (*bundle.Bundle, bool) {
	b := &bundle.Bundle{}
	if _, err := b.Decode("fuzz.yaml", bytes.NewReader(in)); err != nil {
		return nil, false
	}
	// A mutated replicas (1 to 2147483647, say) is a scale test, not a
	// fuzz input: Synthesize makes a pod per replica.
	for i := range b.Deployments {
		if r := b.Deployments[i].Spec.Replicas; r != nil && *r > maxFuzzReplicas {
			*r = maxFuzzReplicas
		}
	}
	b.Synthesize()
	return b, true
}

const maxFuzzReplicas = 3

// fuzzDeadline is far above what any input takes (milliseconds), to stay
// clear of a loaded CI machine.
const fuzzDeadline = 20 * time.Second

// seedOps are structural mutations every seed also starts with, so the
// seed corpus alone (a normal `go test`) already exercises each kind: a
// host in upper case and twice, a huge regex and a broken one, weights and
// ports out of range, a subset renamed, a wildcard host, an object deleted
// and one applied twice.
var seedOps = [][]byte{
	{opCase, 0, 0, 0, opDupHost, 0, 1, 0x81, opRegex, 0, 0, 0, opWeight, 0, 0, 5},
	{opRegex, 0, 1, 2, opRegex, 0, 0, 17, opPort, 0, 2, 9, opSubset, 0, 0, 3, opWildcard, 0, 3, 0},
	{opDeleteDoc, 0, 1, 0, opDupDoc, 0, 2, 0, opSwapString, 0, 7, 11, opDupListItem, 0, 4, 1, opNumber, 0, 9, 6},
}

// fuzzSeeds reads the golden inputs (each with its "# with:" files first,
// and its "# proxy:" line kept at the top for proxyHint) and the Istio
// seeds.
func fuzzSeeds(f testing.TB) [][]byte {
	cases, _ := filepath.Glob("testdata/*.in.yaml")
	istio, _ := filepath.Glob("testdata/fuzzseed/istio/*.yaml")
	if len(cases) == 0 || len(istio) == 0 {
		f.Fatal("no seeds in testdata")
	}
	read := func(files ...string) []byte {
		var out bytes.Buffer
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			out.WriteString("\n---\n")
			out.Write(data)
		}
		return out.Bytes()
	}
	var seeds [][]byte
	for _, in := range cases {
		var with []string
		proxy := ""
		for _, line := range strings.Split(string(read(in)), "\n") {
			if w, ok := strings.CutPrefix(line, "# with: "); ok {
				with = append(with, filepath.Join("testdata", w))
			}
			if p, ok := strings.CutPrefix(line, "# proxy: "); ok {
				proxy = p
			}
		}
		seeds = append(seeds, append([]byte("# proxy: "+proxy), read(append(with, in)...)...))
	}
	dir := "testdata/fuzzseed/istio/"
	for _, p := range istio {
		switch filepath.Base(p) {
		case "platform-bookinfo.yaml", "tcp-echo-tcp-echo-services.yaml":
			continue
		case "tcp-echo-tcp-echo-20-v2.yaml":
			seeds = append(seeds, read(dir+"tcp-echo-tcp-echo-services.yaml", p))
		default:
			seeds = append(seeds, read(dir+"platform-bookinfo.yaml", p))
		}
	}
	return seeds
}

// proxyHint is the pod a seed's first line names ("# proxy: POD.NS").
func proxyHint(doc []byte) string {
	line, _, _ := bytes.Cut(doc, []byte("\n"))
	p, _ := strings.CutPrefix(string(line), "# proxy: ")
	if p == string(line) {
		return ""
	}
	return strings.TrimSpace(p)
}

type fuzzProxy struct {
	what string
	pod  types.NamespacedName
	run  func(*bundle.Bundle, types.NamespacedName) (*Result, error)
}

// fuzzProxies picks whom to translate for, adding pods where the bundle
// has none: the seed's own proxy when it is still there, a sidecar no
// Gateway selects, a proxyless gRPC client in the same pod, and the
// gateway pod of each of the first two Gateways.
func fuzzProxies(b *bundle.Bundle, hint string) []fuzzProxy {
	var out []fuzzProxy
	hinted := types.NamespacedName{}
	if hint != "" {
		hinted = ParseProxy(hint)
		for _, p := range b.Pods {
			if p.Namespace == hinted.Namespace && p.Name == hinted.Name {
				out = append(out, fuzzProxy{"proxy " + hint, hinted, Run})
			}
		}
	}
	sidecar := sidecarPod(b, hinted.Namespace)
	if len(out) == 0 || out[0].pod != sidecar {
		out = append(out, fuzzProxy{"sidecar " + sidecar.String(), sidecar, Run})
	}
	out = append(out, fuzzProxy{"proxyless client " + sidecar.String(), sidecar, RunProxyless})
	for i, gw := range b.Gateways {
		if i == 2 {
			break
		}
		pod := gatewayPod(b, gw)
		out = append(out, fuzzProxy{"gateway pod " + pod.String() + " of " + gw.Namespace + "/" + gw.Name, pod, Run})
	}
	return out
}

// sidecarPod returns a pod in ns (default when empty) that no Gateway
// selects, adding one when there is none.
func sidecarPod(b *bundle.Bundle, ns string) types.NamespacedName {
	if ns == "" {
		ns = bundle.DefaultNamespace
	}
	var names []string
	for _, p := range b.Pods {
		if p.Namespace != ns {
			continue
		}
		selected := false
		for _, gw := range b.Gateways {
			if len(gw.Spec.Selector) > 0 && labels.SelectorFromSet(gw.Spec.Selector).Matches(labels.Set(p.Labels)) {
				selected = true
			}
		}
		if !selected {
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		b.Pods = append(b.Pods, probe(ns))
		return types.NamespacedName{Namespace: ns, Name: "probe"}
	}
	sort.Strings(names)
	return types.NamespacedName{Namespace: ns, Name: names[0]}
}
