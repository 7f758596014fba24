package mesh_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// rulesServices: the namespace of each service; s4 also serves TCP on
// 9000, s5 a port whose protocol is detected (sniffed).
var rulesServices = []string{"a", "a", "b", "b", "c", "c"}

// rulesStatic is the mesh but its rules: services with two pods each
// (versions v1 and v2), and a Sidecar in namespace c that lists c's and
// a's hosts only.
func rulesStatic() string {
	var b strings.Builder
	for i, ns := range rulesServices {
		ports := "[{name: http, port: 8080}]"
		switch i {
		case 4:
			ports = "[{name: http, port: 8080}, {name: tcp-db, port: 9000}]"
		case 5:
			ports = "[{name: http, port: 8080}, {name: web, port: 7000}]"
		}
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Service\nmetadata: {name: s%d, namespace: %s}\nspec: {clusterIP: 10.96.1.%d, selector: {app: s%d}, ports: %s}\n", i, ns, 10+i, i, ports)
		for k := range 2 {
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: s%d-%d, namespace: %s, labels: {app: s%d, version: v%d}}\nspec: {containers: [{name: app, image: app}]}\nstatus: {podIP: 10.2.%d.%d}\n", i, k, ns, i, k+1, i, k+1)
		}
	}
	b.WriteString("---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: default, namespace: c}\nspec: {egress: [{hosts: [\"./*\", \"a/*\"]}]}\n")
	return b.String()
}

// rulesNodes are one proxy per service's first pod.
func rulesNodes() []mesh.Node {
	var out []mesh.Node
	for i, ns := range rulesServices {
		out = append(out, mesh.Node{ID: names.NodeID(names.Node{Type: names.Sidecar, IP: fmt.Sprintf("10.2.%d.1", i), Pod: fmt.Sprintf("s%d-0", i), Namespace: ns, Domain: defaults.DomainSuffix})})
	}
	return out
}

// vsState is one service's VirtualService, off or one of a few shapes.
type vsState struct {
	on, header, local, delegate, tcp bool
	weights                          [2]int32
	timeout                          int
	// dest is the service the header route sends to.
	dest int
}

// drState is one service's DestinationRule.
type drState struct {
	on, v3, local bool
	lb, tls       int
}

type rulesState struct {
	vs []vsState
	dr []drState
}

func randomVS(rng *rand.Rand) vsState {
	w := rng.Int32N(101)
	return vsState{on: rng.IntN(3) > 0, header: rng.IntN(2) == 0, local: rng.IntN(4) == 0, delegate: rng.IntN(5) == 0, tcp: rng.IntN(2) == 0,
		weights: [2]int32{w, 100 - w}, timeout: rng.IntN(3), dest: rng.IntN(len(rulesServices))}
}

func randomDR(rng *rand.Rand) drState {
	return drState{on: rng.IntN(3) > 0, v3: rng.IntN(3) == 0, local: rng.IntN(4) == 0, lb: rng.IntN(3), tls: rng.IntN(3)}
}

func randomRules(rng *rand.Rand) rulesState {
	s := rulesState{vs: make([]vsState, len(rulesServices)), dr: make([]drState, len(rulesServices))}
	for i := range rulesServices {
		s.vs[i], s.dr[i] = randomVS(rng), randomDR(rng)
	}
	return s
}

// change edits one or two rules: a weight, a timeout, a whole new shape,
// on or off; a VirtualService or a DestinationRule.
func (s rulesState) change(rng *rand.Rand) (rulesState, string) {
	next := rulesState{vs: append([]vsState(nil), s.vs...), dr: append([]drState(nil), s.dr...)}
	var did []string
	for range 1 + rng.IntN(2) {
		i := rng.IntN(len(rulesServices))
		switch rng.IntN(6) {
		case 0:
			w := rng.Int32N(101)
			next.vs[i].weights = [2]int32{w, 100 - w}
			did = append(did, fmt.Sprintf("vs%d weights", i))
		case 1:
			next.vs[i].timeout = (next.vs[i].timeout + 1) % 3
			did = append(did, fmt.Sprintf("vs%d timeout", i))
		case 2:
			next.vs[i] = randomVS(rng)
			did = append(did, fmt.Sprintf("vs%d reshaped", i))
		case 3:
			next.dr[i] = randomDR(rng)
			did = append(did, fmt.Sprintf("dr%d reshaped", i))
		case 4:
			next.dr[i].on = !next.dr[i].on
			did = append(did, fmt.Sprintf("dr%d toggled", i))
		default:
			next.vs[i].on = !next.vs[i].on
			did = append(did, fmt.Sprintf("vs%d toggled", i))
		}
	}
	return next, strings.Join(did, ", ")
}

func (s rulesState) yaml() string {
	var b strings.Builder
	for i, ns := range rulesServices {
		if v := s.vs[i]; v.on {
			writeVS(&b, i, ns, v)
		}
		if d := s.dr[i]; d.on {
			writeDR(&b, i, ns, d)
		}
	}
	return b.String()
}

func writeVS(b *strings.Builder, i int, ns string, v vsState) {
	fmt.Fprintf(b, "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs%d, namespace: %s}\nspec:\n  hosts: [s%d]\n", i, ns, i)
	if v.local {
		b.WriteString("  exportTo: [\".\"]\n")
	}
	b.WriteString("  http:\n")
	if v.header {
		fmt.Fprintf(b, "  - match: [{headers: {x-user: {exact: test}}}]\n    route: [{destination: {host: s%d.%s.svc.cluster.local}}]\n", v.dest, rulesServices[v.dest])
	}
	route := fmt.Sprintf("route: [{destination: {host: s%d, subset: v1}, weight: %d}, {destination: {host: s%d, subset: v2}, weight: %d}]", i, v.weights[0], i, v.weights[1])
	timeout := ""
	if v.timeout > 0 {
		timeout = fmt.Sprintf(", timeout: %ds", v.timeout)
	}
	if v.delegate {
		fmt.Fprintf(b, "  - delegate: {name: child%d}\n", i)
		fmt.Fprintf(b, "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: child%d, namespace: %s}\nspec:\n  http: [{%s%s}]\n", i, ns, route, timeout)
	} else {
		fmt.Fprintf(b, "  - {%s%s}\n", route, timeout)
	}
	if v.tcp && i == 4 {
		b.WriteString("  tcp: [{match: [{port: 9000}], route: [{destination: {host: s4, port: {number: 9000}, subset: v2}}]}]\n")
	}
}

func writeDR(b *strings.Builder, i int, ns string, d drState) {
	fmt.Fprintf(b, "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: dr%d, namespace: %s}\nspec:\n  host: s%d\n", i, ns, i)
	if d.local {
		b.WriteString("  exportTo: [\".\"]\n")
	}
	var policy []string
	if d.lb > 0 {
		policy = append(policy, fmt.Sprintf("loadBalancer: {simple: %s}", []string{"", "LEAST_REQUEST", "RANDOM"}[d.lb]))
	}
	if d.tls > 0 {
		policy = append(policy, fmt.Sprintf("tls: {mode: %s}", []string{"", "DISABLE", "ISTIO_MUTUAL"}[d.tls]))
	}
	if len(policy) > 0 {
		fmt.Fprintf(b, "  trafficPolicy: {%s}\n", strings.Join(policy, ", "))
	}
	b.WriteString("  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}")
	if d.v3 {
		b.WriteString(", {name: v3, labels: {version: v3}}")
	}
	b.WriteString("]\n")
}

// TestRulesSinceMatchesFullTranslation runs 1000 seeded sequences of
// VirtualService and DestinationRule edits (weights, timeouts, header
// routes to other hosts, delegates, TCP routes, exportTo, subsets, load
// balancer and TLS mode, rules added and removed) and checks that after
// every edit the scoped path, when it takes the change, gives every proxy
// exactly what a full translation gives, with the same status; that it
// takes most changes; and that it keeps untouched clusters by pointer.
func TestRulesSinceMatchesFullTranslation(t *testing.T) {
	static, nodes := localityBundle(t, rulesStatic()), rulesNodes()
	// The rules are decoded into a copy of the static part, decoded once.
	with := func(rules string) *bundle.Bundle {
		b := *static
		if _, err := b.Decode("rules.yaml", strings.NewReader(rules)); err != nil {
			t.Fatal(err)
		}
		return &b
	}
	taken, declined, kept, memoChecked, memoJoined := 0, 0, 0, 0, 0
	for seq := range 1000 {
		rng := rand.New(rand.NewPCG(uint64(seq), 19))
		state := randomRules(rng)
		last := mesh.Compute(with(state.yaml()), nodes)
		for step := range 3 {
			var did string
			state, did = state.change(rng)
			b := with(state.yaml())
			want := mesh.Compute(b, nodes)
			got, ok := mesh.ComputeRulesSince(b, nodes, last)
			if !ok {
				declined++
				last = want
				continue
			}
			taken++
			for _, n := range nodes {
				if !want.Resources[n.ID].Equal(got.Resources[n.ID]) {
					t.Fatalf("seed %d step %d (%s), %s: the scoped path differs from the full translation\nrules:\n%s", seq, step, did, n.ID, state.yaml())
				}
				kept += keptClusters(last.Resources[n.ID], got.Resources[n.ID])
			}
			if w, g := want.Model.Status.Canonical(), got.Model.Status.Canonical(); w != g {
				t.Fatalf("seed %d step %d (%s): status differs\nfull:\n%s\nscoped:\n%s\nrules:\n%s", seq, step, did, w, g, state.yaml())
			}
			// The translations it leaves: the pod path from them, for the
			// same pods, and a join of half the nodes, are Compute's.
			what := fmt.Sprintf("seed %d step %d (%s), after the rules path", seq, step, did)
			if pods, ok := mesh.ComputePodsSince(b, nodes, got); ok {
				samePodsResult(t, what, want, pods, nodes)
				memoChecked++
			}
			if joinHalf(t, what, b, got, nodes, want) {
				memoJoined++
			}
			last = got
		}
	}
	t.Logf("%d changes took the scoped path, %d declined; %d clusters kept by pointer; the pod path from its result checked %d times, a join %d", taken, declined, kept, memoChecked, memoJoined)
	// The pod path declines models with a DestinationRule disabling TLS,
	// which these rules often hold; it must take the rest.
	if memoChecked < taken/5 || memoJoined < taken/5 {
		t.Errorf("the pod path took the rules path's result %d times and a join %d, of %d", memoChecked, memoJoined, taken)
	}
	if declined > taken/3 {
		t.Errorf("the scoped path declined %d changes of %d", declined, taken+declined)
	}
	if kept == 0 {
		t.Error("no cluster was kept by pointer")
	}
}

func keptClusters(before, after *xds.Resources) int {
	old := map[any]bool{}
	for _, c := range before.Clusters {
		old[c] = true
	}
	n := 0
	for _, c := range after.Clusters {
		if old[c] {
			n++
		}
	}
	return n
}
