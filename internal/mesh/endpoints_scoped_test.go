package mesh_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/names"
)

// scopedServices: namespace, whether a DestinationRule gives it subsets
// and locality-aware load balancing (outlier detection turns it on).
var scopedServices = []struct {
	ns       string
	subsets  bool
	locality bool
}{{"a", true, true}, {"b", false, true}, {"a", true, false}, {"b", false, false}}

const scopedPods = 4 // backend pods per service

var zones = []string{"", "zone-a", "zone-b"}

// scopedStatic is everything but the EndpointSlices: pods, services,
// rules, and the client pods whose proxies are translated.
func scopedStatic() string {
	var b strings.Builder
	for i, s := range scopedServices {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc%d, namespace: %s}\nspec: {clusterIP: 10.96.0.%d, selector: {app: svc%d}, ports: [{name: http, port: 8080}]}\n", i, s.ns, 10+i, i)
		for k := range scopedPods {
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: svc%d-%d, namespace: %s, labels: {app: svc%d, version: v%d}}\nspec: {containers: [{name: app, image: app}]}\nstatus: {podIP: 10.1.%d.%d}\n", i, k, s.ns, i, 1+k%2, i, k+1)
		}
		if s.subsets || s.locality {
			fmt.Fprintf(&b, "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: svc%d, namespace: %s}\nspec:\n  host: svc%d\n", i, s.ns, i)
			if s.locality {
				b.WriteString("  trafficPolicy: {outlierDetection: {consecutive5xxErrors: 3}}\n")
			}
			if s.subsets {
				b.WriteString("  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]\n")
			}
		}
	}
	b.WriteString("---\napiVersion: v1\nkind: Service\nmetadata: {name: client, namespace: a}\nspec: {clusterIP: 10.96.0.2, selector: {app: client}, ports: [{name: http, port: 8080}]}\n")
	for k := range 3 {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: client-%d, namespace: a, labels: {app: client}}\nspec: {containers: [{name: app, image: app}]}\nstatus: {podIP: 10.0.0.%d}\n", k, k+1)
	}
	return b.String()
}

func scopedNodes() []mesh.Node {
	var out []mesh.Node
	for k := range 3 {
		out = append(out, mesh.Node{ID: names.NodeID(names.Node{Type: names.Sidecar, IP: fmt.Sprintf("10.0.0.%d", k+1), Pod: fmt.Sprintf("client-%d", k), Namespace: "a", Domain: defaults.DomainSuffix})})
	}
	// A backend's own proxy, in the other namespace.
	out = append(out, mesh.Node{ID: names.NodeID(names.Node{Type: names.Sidecar, IP: "10.1.1.1", Pod: "svc1-0", Namespace: "b", Domain: defaults.DomainSuffix})})
	return out
}

// slices is one state of every service's EndpointSlice (and the clients',
// which gives the client proxies their zones).
type slices struct {
	// backends[i][k]: pod k of service i is listed, its zone and readiness.
	backends [][scopedPods]endpointState
	clients  [3]endpointState
}

type endpointState struct {
	listed, ready bool
	zone          string
}

func randomState(rng *rand.Rand) endpointState {
	return endpointState{listed: rng.IntN(4) > 0, ready: rng.IntN(5) > 0, zone: zones[rng.IntN(len(zones))]}
}

func randomSlices(rng *rand.Rand) slices {
	s := slices{backends: make([][scopedPods]endpointState, len(scopedServices))}
	for i := range s.backends {
		for k := range scopedPods {
			s.backends[i][k] = randomState(rng)
		}
	}
	for k := range s.clients {
		s.clients[k] = randomState(rng)
	}
	return s
}

// change edits one to three services' slices (a client's zone among them
// sometimes), or none.
func (s slices) change(rng *rand.Rand) slices {
	next := slices{backends: append([][scopedPods]endpointState(nil), s.backends...), clients: s.clients}
	for range rng.IntN(4) {
		if i := rng.IntN(len(scopedServices) + 1); i == len(scopedServices) {
			next.clients[rng.IntN(3)] = randomState(rng)
		} else {
			next.backends[i][rng.IntN(scopedPods)] = randomState(rng)
		}
	}
	return next
}

func writeEndpoint(b *strings.Builder, ip, pod, ns string, e endpointState) {
	if !e.listed {
		return
	}
	fmt.Fprintf(b, "- {addresses: [%s], conditions: {ready: %t}, targetRef: {kind: Pod, name: %s, namespace: %s}", ip, e.ready, pod, ns)
	if e.zone != "" {
		fmt.Fprintf(b, ", zone: %s", e.zone)
	}
	b.WriteString("}\n")
}

func (s slices) yaml() string {
	var b strings.Builder
	for i, svc := range scopedServices {
		fmt.Fprintf(&b, "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: svc%d-1, namespace: %s, labels: {kubernetes.io/service-name: svc%d}}\naddressType: IPv4\nports: [{name: http, port: 8080}]\nendpoints:\n", i, svc.ns, i)
		for k, e := range s.backends[i] {
			writeEndpoint(&b, fmt.Sprintf("10.1.%d.%d", i, k+1), fmt.Sprintf("svc%d-%d", i, k), svc.ns, e)
		}
	}
	b.WriteString("---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: client-1, namespace: a, labels: {kubernetes.io/service-name: client}}\naddressType: IPv4\nports: [{name: http, port: 8080}]\nendpoints:\n")
	for k, e := range s.clients {
		writeEndpoint(&b, fmt.Sprintf("10.0.0.%d", k+1), fmt.Sprintf("client-%d", k), "a", e)
	}
	return strings.ReplaceAll(b.String(), "endpoints:\n---", "endpoints: []\n---")
}

// TestEndpointsSinceMatchesFullTranslation runs 1000 random sequences of
// EndpointSlice changes (endpoints listed or not, ready or not, zones
// moving, the clients' own zones too) and checks that after every change
// the scoped endpoint-only path gives every proxy exactly the load
// assignments a full translation gives, and that it does reuse the
// unchanged ones.
func TestEndpointsSinceMatchesFullTranslation(t *testing.T) {
	static, nodes := scopedStatic(), scopedNodes()
	reused, recomputed := 0, 0
	for seq := range 1000 {
		rng := rand.New(rand.NewPCG(uint64(seq), 15))
		state := randomSlices(rng)
		last := mesh.Compute(localityBundle(t, static+state.yaml()), nodes)
		for step := range 3 {
			state = state.change(rng)
			b := localityBundle(t, static+state.yaml())
			got, ok := mesh.ComputeEndpointsSince(b, nodes, last.Resources, last.Model)
			if !ok {
				t.Fatalf("sequence %d step %d: the fast path refused an endpoint-only change", seq, step)
			}
			want := mesh.Compute(b, nodes)
			for _, n := range nodes {
				g, w, before := got.Resources[n.ID], want.Resources[n.ID], last.Resources[n.ID]
				if msg := sameAssignments(g.Endpoints, w.Endpoints); msg != "" {
					t.Fatalf("sequence %d step %d, %s: %s\nslices:\n%s", seq, step, n.ID, msg, state.yaml())
				}
				r, c := countReuse(g.Endpoints, before.Endpoints)
				reused, recomputed = reused+r, recomputed+c
			}
			last = got
		}
	}
	if reused == 0 || recomputed == 0 {
		t.Errorf("%d load assignments reused, %d recomputed: the sequences do not exercise both", reused, recomputed)
	}
	t.Logf("%d load assignments reused, %d recomputed", reused, recomputed)
}

func sameAssignments(got, want []*endpointv3.ClusterLoadAssignment) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d load assignments, the full translation has %d", len(got), len(want))
	}
	for i := range got {
		if !proto.Equal(got[i], want[i]) {
			return fmt.Sprintf("load assignment %s differs from the full translation's:\n got %v\nwant %v", want[i].ClusterName, got[i], want[i])
		}
	}
	return ""
}

// countReuse counts the assignments that are the previous ones by pointer.
func countReuse(got, before []*endpointv3.ClusterLoadAssignment) (reused, recomputed int) {
	prev := map[*endpointv3.ClusterLoadAssignment]bool{}
	for _, c := range before {
		prev[c] = true
	}
	for _, c := range got {
		if prev[c] {
			reused++
		} else {
			recomputed++
		}
	}
	return reused, recomputed
}

// An unchanged slice set recomputes nothing: every load assignment is the
// previous one.
func TestEndpointsSinceReusesAllWhenNothingChanged(t *testing.T) {
	static, nodes := scopedStatic(), scopedNodes()
	state := randomSlices(rand.New(rand.NewPCG(3, 4)))
	b := localityBundle(t, static+state.yaml())
	first := mesh.Compute(b, nodes)
	next, ok := mesh.ComputeEndpointsSince(localityBundle(t, static+state.yaml()), nodes, first.Resources, first.Model)
	if !ok {
		t.Fatal("the fast path refused")
	}
	for _, n := range nodes {
		if _, c := countReuse(next.Resources[n.ID].Endpoints, first.Resources[n.ID].Endpoints); c > 0 {
			t.Errorf("%s: %d load assignments recomputed with no change", n.ID, c)
		}
	}
}
