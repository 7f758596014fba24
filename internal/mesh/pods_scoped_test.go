package mesh_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/names"
)

// churnServices: the namespace of each service; c's pods are selected by
// a Sidecar, and a's VirtualService routes by the source label tier.
var churnServices = []string{"a", "a", "b", "c"}

const churnReplicas = 3 // pod slots per service

// churnPod is one pod slot: whether it exists, its IP generation (a
// recreated pod gets a new IP), its labels and whether it runs a sidecar.
type churnPod struct {
	present  bool
	gen      int
	version  int
	tier     bool
	injected bool
	// newPort: the pod template moved its named port (a rollout).
	newPort bool
	// listed says its EndpointSlice lists it (the slice may lag); zoned,
	// that its endpoint there carries a zone.
	listed, zoned bool
}

type churnState [][churnReplicas]churnPod

func (s churnState) ip(i, k int) string {
	return fmt.Sprintf("10.%d.%d.%d", 10+s[i][k].gen%200, i, k+1)
}

func podName(i, k int) string { return fmt.Sprintf("s%d-%d", i, k) }

func randomChurn(rng *rand.Rand) churnState {
	s := make(churnState, len(churnServices))
	for i := range s {
		for k := range churnReplicas {
			s[i][k] = churnPod{present: rng.IntN(4) > 0, version: 1 + rng.IntN(2), tier: rng.IntN(3) == 0, injected: rng.IntN(5) > 0}
			s[i][k].listed = s[i][k].present
		}
	}
	return s
}

// edit applies one pod edit: delete, recreate under the same name with a
// new IP (slice updated, or not yet; sometimes its named port moved), add, relabel (a label rules select
// on), toggle the sidecar.
func (s churnState) edit(rng *rand.Rand) (churnState, string) {
	next := append(churnState(nil), s...)
	i, k := rng.IntN(len(next)), rng.IntN(churnReplicas)
	p := &next[i][k]
	name := podName(i, k)
	switch rng.IntN(6) {
	case 0:
		p.present, p.listed = false, false
		return next, "delete " + name
	case 1:
		p.present, p.gen, p.listed, p.newPort = true, p.gen+1, rng.IntN(4) > 0, rng.IntN(4) == 0
		return next, "recreate " + name
	case 2:
		p.present, p.listed = true, true
		return next, "add " + name
	case 3:
		p.version = 3 - p.version
		return next, "version of " + name
	case 4:
		p.tier = !p.tier
		return next, "tier of " + name
	default:
		p.injected = !p.injected
		return next, "sidecar of " + name
	}
}

func (s churnState) yaml() string {
	var b strings.Builder
	b.WriteString("---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s3, namespace: c}\nspec: {workloadSelector: {labels: {app: s3}}, egress: [{hosts: [\"./*\", \"a/*\"]}]}\n")
	b.WriteString("---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: s0, namespace: a}\nspec:\n  hosts: [s0]\n  http:\n  - match: [{sourceLabels: {tier: front}}]\n    route: [{destination: {host: s0, subset: v2}}]\n  - route: [{destination: {host: s0, subset: v1}}]\n")
	b.WriteString("---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: s2, namespace: b}\nspec: {selector: {matchLabels: {version: v2}}, rules: [{from: [{source: {namespaces: [a]}}]}]}\n")
	for i, ns := range churnServices {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Service\nmetadata: {name: s%d, namespace: %s}\nspec: {clusterIP: 10.96.2.%d, selector: {app: s%d}, ports: [{name: http, port: 8080, targetPort: web}]}\n", i, ns, 10+i, i)
		fmt.Fprintf(&b, "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: s%d, namespace: %s}\nspec: {host: s%d, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}\n", i, ns, i)
		var eps []string
		for k, p := range s[i] {
			if p.present {
				tier := ""
				if p.tier {
					tier = ", tier: front"
				}
				ann := ""
				if p.injected {
					ann = ", annotations: {sidecar.istio.io/status: \"{}\"}"
				}
				port := 9080
				if p.newPort {
					port = 9090
				}
				// The last slot runs as a service account of its own: its
				// pod coming and going changes its service's identities.
				sa := "default"
				if k == churnReplicas-1 {
					sa = "other"
				}
				fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: %s, labels: {app: s%d, version: v%d%s}%s}\nspec: {serviceAccountName: %s, containers: [{name: app, image: app, ports: [{name: web, containerPort: %d}]}]}\nstatus: {podIP: %s}\n",
					podName(i, k), ns, i, p.version, tier, ann, sa, port, s.ip(i, k))
			}
			if p.listed {
				zone := ""
				if p.zoned {
					zone = ", zone: z1"
				}
				eps = append(eps, fmt.Sprintf("- {addresses: [%s], conditions: {ready: true}, targetRef: {kind: Pod, name: %s, namespace: %s}%s}\n", s.ip(i, k), podName(i, k), ns, zone))
			}
		}
		fmt.Fprintf(&b, "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s%d-1, namespace: %s, labels: {kubernetes.io/service-name: s%d}}\naddressType: IPv4\nports: [{name: http, port: 9080}]\n", i, ns, i)
		if len(eps) == 0 {
			b.WriteString("endpoints: []\n")
		} else {
			b.WriteString("endpoints:\n" + strings.Join(eps, ""))
		}
	}
	return b.String()
}

// sliceEdit changes one service's EndpointSlice alone: a pod slot listed
// or not (the slice lagging its pods, or listing a pod gone), or its
// endpoint's zone (which a pod without one of its own takes). It returns
// the slice edited.
func (s churnState) sliceEdit(rng *rand.Rand) (churnState, string, types.NamespacedName) {
	next := append(churnState(nil), s...)
	i, k := rng.IntN(len(next)), rng.IntN(churnReplicas)
	p := &next[i][k]
	slice := types.NamespacedName{Namespace: churnServices[i], Name: fmt.Sprintf("s%d-1", i)}
	if rng.IntN(4) == 0 {
		p.zoned = !p.zoned
		return next, "zone of " + podName(i, k) + "'s endpoint", slice
	}
	p.listed = !p.listed
	return next, "listing of " + podName(i, k), slice
}

// nodes are the proxies of the present pods; a deleted pod's proxy may
// still be connected (stale), and then waits.
func (s churnState) nodes(rng *rand.Rand, stale churnState) []mesh.Node {
	var out []mesh.Node
	for i, ns := range churnServices {
		for k := range churnReplicas {
			node := func(ip string) mesh.Node {
				return mesh.Node{ID: names.NodeID(names.Node{Type: names.Sidecar, IP: ip, Pod: podName(i, k), Namespace: ns, Domain: defaults.DomainSuffix})}
			}
			if s[i][k].present {
				out = append(out, node(s.ip(i, k)))
			} else if stale != nil && stale[i][k].present && rng.IntN(2) == 0 {
				out = append(out, node(stale.ip(i, k)))
			}
		}
	}
	return out
}

// churnStart is where a sequence of edits starts: a random churn state,
// its proxies and their full translation.
func churnStart(t *testing.T, rng *rand.Rand) (churnState, []mesh.Node, *mesh.Result) {
	t.Helper()
	state := randomChurn(rng)
	nodes := state.nodes(rng, nil)
	return state, nodes, mesh.Compute(localityBundle(t, state.yaml()), nodes)
}

// TestPodsSinceMatchesFullTranslation runs 1000 seeded sequences of pod
// edits (deleted, recreated under a new IP with or without its slice
// updated, added, a label some rule selects on changed, the sidecar
// toggled; deleted pods' proxies sometimes still connected) and checks
// that, whenever the pod path takes an edit, every proxy gets exactly
// what a full translation gives, with the same status and waiting nodes;
// that proxies joining that result (mesh.Join) get what Compute gives;
// and that it takes most edits.
func TestPodsSinceMatchesFullTranslation(t *testing.T) {
	taken, declined, joined := 0, 0, 0
	for seq := range 1000 {
		rng := rand.New(rand.NewPCG(uint64(seq), 23))
		state, nodes, last := churnStart(t, rng)
		for step := range 4 {
			var did string
			prevState := state
			state, did = state.edit(rng)
			b := localityBundle(t, state.yaml())
			nodes = state.nodes(rng, prevState)
			want := mesh.Compute(b, nodes)
			got, ok := mesh.ComputePodsSince(b, nodes, last)
			if !ok {
				declined++
				last = want
				continue
			}
			taken++
			what := fmt.Sprintf("seed %d step %d (%s)", seq, step, did)
			samePodsResult(t, what, want, got, nodes)
			if joinHalf(t, what, b, last, nodes, want) {
				joined++
			}
			last = got
		}
	}
	t.Logf("%d pod edits took the pod path, %d declined; %d joins checked after it", taken, declined, joined)
	if taken == 0 || declined > taken {
		t.Errorf("the pod path took %d edits and declined %d", taken, declined)
	}
	if joined == 0 {
		t.Error("no join after the pod path was checked")
	}
}

// TestSlicesSinceMatchesFullTranslation runs 1000 seeded sequences of
// EndpointSlice edits between pod edits (see sliceEdit) and checks that
// the slice path (a model made from the last one's) gives every proxy
// what a full translation gives, with the same status and waiting nodes,
// that its result can be joined, and that it takes most edits.
func TestSlicesSinceMatchesFullTranslation(t *testing.T) {
	taken, declined, fromLast := 0, 0, 0
	for seq := range 1000 {
		rng := rand.New(rand.NewPCG(uint64(seq), 29))
		state, nodes, last := churnStart(t, rng)
		for step := range 4 {
			var did string
			var slice types.NamespacedName
			sliceOnly := rng.IntN(3) > 0
			if sliceOnly {
				state, did, slice = state.sliceEdit(rng)
			} else {
				prevState := state
				state, did = state.edit(rng)
				nodes = state.nodes(rng, prevState)
			}
			b := localityBundle(t, state.yaml())
			var got *mesh.Result
			var ok bool
			if sliceOnly {
				got, ok = mesh.ComputeSlicesSince(b, nodes, last, []types.NamespacedName{slice})
			} else {
				got, ok = mesh.ComputePodsSince(b, nodes, last)
			}
			want := mesh.Compute(b, nodes)
			if !ok {
				declined++
				last = want
				continue
			}
			taken++
			// A model made from the last one shares its pods.
			if sliceOnly && reflect.ValueOf(got.Model.Pods).UnsafePointer() == reflect.ValueOf(last.Model.Pods).UnsafePointer() {
				fromLast++
			}
			what := fmt.Sprintf("seed %d step %d (%s)", seq, step, did)
			samePodsResult(t, what, want, got, nodes)
			joinHalf(t, what, b, last, nodes, want)
			last = got
		}
	}
	t.Logf("%d edits took the slice or pod path (%d with the last model's), %d declined", taken, fromLast, declined)
	if taken == 0 || declined > taken || fromLast < taken/3 {
		t.Errorf("the slice and pod paths took %d edits (%d from the last model) and declined %d", taken, fromLast, declined)
	}
}

// joinHalf computes the pod path for the first half of the nodes and
// joins the rest, as when recreated pods' proxies connect after the pod
// change was reconciled: the join must give what Compute gives all. It
// reports whether the pod path took the half.
func joinHalf(t *testing.T, what string, b *bundle.Bundle, last *mesh.Result, nodes []mesh.Node, want *mesh.Result) bool {
	t.Helper()
	h := len(nodes) / 2
	first, ok := mesh.ComputePodsSince(b, nodes[:h], last)
	if !ok {
		return false
	}
	got, ok := mesh.Join(first, nodes[h:])
	if !ok {
		t.Fatalf("%s: the pod path's result cannot be joined to", what)
	}
	for _, n := range nodes {
		w, g := want.Resources[n.ID], got.Resources[n.ID]
		if (w == nil) != (g == nil) || w != nil && !w.Equal(g) {
			t.Fatalf("%s, %s joined: differs from the full translation", what, n.ID)
		}
	}
	if fmt.Sprint(want.Waiting) != fmt.Sprint(got.Waiting) {
		t.Fatalf("%s joined: waiting %v, the full translation %v", what, got.Waiting, want.Waiting)
	}
	return true
}

func samePodsResult(t *testing.T, what string, want, got *mesh.Result, nodes []mesh.Node) {
	t.Helper()
	for _, n := range nodes {
		w, g := want.Resources[n.ID], got.Resources[n.ID]
		if (w == nil) != (g == nil) || w != nil && !w.Equal(g) {
			t.Fatalf("%s, %s: the pod path differs from the full translation", what, n.ID)
		}
	}
	if len(want.Resources) != len(got.Resources) {
		t.Fatalf("%s: %d nodes configured, the full translation configures %d", what, len(got.Resources), len(want.Resources))
	}
	if fmt.Sprint(want.Waiting) != fmt.Sprint(got.Waiting) {
		t.Fatalf("%s: waiting %v, the full translation %v", what, got.Waiting, want.Waiting)
	}
	if w, g := want.Model.Status.Canonical(), got.Model.Status.Canonical(); w != g {
		t.Fatalf("%s: status differs\nfull:\n%s\npod path:\n%s", what, w, g)
	}
}
