// Package bench is sailplane's scale benchmark: a synthetic mesh shaped
// like Istio's reference mesh, created in a real kube-apiserver, served by
// the real control plane to thousands of simulated sidecars over loopback
// gRPC, with the time to converge, the cost per change and the memory
// measured and reported. cmd/sailbench is its command line; the Go
// micro-benchmarks in this package translate the same mesh in memory.
package bench

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
)

// Spec sizes the synthetic mesh. The same Spec always gives the same mesh.
type Spec struct {
	Services   int
	Namespaces int
	Seed       uint64
	// RuleShare is the fraction of services with DestinationRule subsets
	// (v1, v2: one pod each) and a weighted VirtualService; the others
	// run one version with two replicas.
	RuleShare float64
	// Scoped, when above 0, gives every service's workloads a Sidecar
	// (selecting them by app label) whose egress lists that many other
	// services: each proxy is configured for the services it calls only.
	Scoped int
}

// Mesh is the synthetic mesh: what is created in the API server and what
// the simulated proxies speak for.
type Mesh struct {
	Spec       Spec
	Namespaces []string
	Services   []*Service
	Pods       []*Pod
}

// Service is one Kubernetes service with its two pods.
type Service struct {
	Name, Namespace string
	// Subsets: the service has a DestinationRule with subsets v1 and v2
	// and a VirtualService splitting traffic between them.
	Subsets bool
	// Weights of v1 and v2 in the VirtualService.
	Weights [2]int32
	// HeaderRoute: the VirtualService also sends "end-user: tester" to v2
	// first, with a timeout and retries (a realistic canary rule).
	HeaderRoute bool
	Pods        [2]*Pod
	// Calls are the services its workloads call when Spec.Scoped is set.
	Calls []*Service
}

// Pod is one workload pod; its IP is in 10.0.0.0/8 outside 127/8, which
// kube-apiserver refuses for endpoints.
type Pod struct {
	Name, Namespace, Version, IP string
	Service                      *Service
	// UID is the pod object's, once created (a recreated pod has a new
	// one); its proxies' tokens are bound to it.
	UID string
}

// HTTPPort is every synthetic service's only port (named http).
const HTTPPort = 8080

// weightChoices are the splits a canary VirtualService starts from.
var weightChoices = [][2]int32{{90, 10}, {80, 20}, {50, 50}, {95, 5}}

// NewMesh builds the mesh for spec, seeded so runs are reproducible.
func NewMesh(spec Spec) *Mesh {
	if spec.Namespaces < 1 {
		spec.Namespaces = 1
	}
	rng := rand.New(rand.NewPCG(spec.Seed, spec.Seed^0x5a11))
	m := &Mesh{Spec: spec}
	for i := 0; i < spec.Namespaces; i++ {
		m.Namespaces = append(m.Namespaces, fmt.Sprintf("bench-%02d", i))
	}
	for i := 0; i < spec.Services; i++ {
		s := &Service{Name: fmt.Sprintf("svc-%04d", i), Namespace: m.Namespaces[i%spec.Namespaces]}
		s.Subsets = rng.Float64() < spec.RuleShare
		s.Weights = weightChoices[rng.IntN(len(weightChoices))]
		s.HeaderRoute = s.Subsets && rng.IntN(3) == 0
		versions := [2]string{"v1", "v1"}
		if s.Subsets {
			versions[1] = "v2"
		}
		for r, v := range versions {
			p := &Pod{Name: fmt.Sprintf("%s-%s-%d", s.Name, v, r), Namespace: s.Namespace, Version: v, Service: s}
			p.IP = PodIP(len(m.Pods))
			s.Pods[r] = p
			m.Pods = append(m.Pods, p)
		}
		m.Services = append(m.Services, s)
	}
	m.assignCalls()
	return m
}

// assignCalls gives each service the Spec.Scoped services that follow it
// (wrapping round), which spread over the namespaces as services do.
func (m *Mesh) assignCalls() {
	n := min(m.Spec.Scoped, len(m.Services)-1)
	for i, s := range m.Services {
		for k := 1; k <= n; k++ {
			s.Calls = append(s.Calls, m.Services[(i+k)%len(m.Services)])
		}
	}
}

// PodIP is the address of the n-th pod: 10.16.0.1 upward, never .0 or
// .255, so it reads as a pod address.
func PodIP(n int) string {
	return hostIP(16, n)
}

// ChurnIP is the address of the n-th replacement pod (pod churn, endpoint
// additions), from a range of its own so it never collides with PodIP.
func ChurnIP(n int) string {
	return hostIP(128, n)
}

func hostIP(firstOctet, n int) string {
	c := n%254 + 1
	b := (n / 254) % 256
	a := firstOctet + n/(254*256)
	return netip.AddrFrom4([4]byte{10, byte(a), byte(b), byte(c)}).String()
}

// WithRules returns the services that have a VirtualService.
func (m *Mesh) WithRules() []*Service {
	var out []*Service
	for _, s := range m.Services {
		if s.Subsets {
			out = append(out, s)
		}
	}
	return out
}

// Host is the service's fully qualified name.
func (s *Service) Host() string {
	return s.Name + "." + s.Namespace + ".svc.cluster.local"
}
