package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

// TestAllowedByIndexEqualsAllows: on random models and Sidecars (exact,
// wildcard and suffix hosts, in every namespace form, services and
// VirtualServices with wildcard and upper-case hosts), the indexed scope
// is exactly what asking Allows of every service and VirtualService gives.
func TestAllowedByIndexEqualsAllows(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	namespaces := []string{"a", "b", "c", "istio-system"}
	hostFor := func(i int) (string, string) {
		ns := namespaces[r.IntN(len(namespaces))]
		switch r.IntN(6) {
		case 0:
			return fmt.Sprintf("*.ext%d.example.com", i%3), ns
		case 1:
			return fmt.Sprintf("API%d.Example.com", i%4), ns
		case 2:
			return "*", ns
		default:
			return fmt.Sprintf("s%d.%s.svc.cluster.local", i%7, ns), ns
		}
	}
	egressHost := func() EgressHost {
		ns := []string{"*", ".", "~", "a", "b", "istio-system"}[r.IntN(6)]
		host := []string{"*", "*.example.com", "*.cluster.local", "api1.example.com", "x.ext1.example.com", "s3.a.svc.cluster.local", "s1.b.svc.cluster.local"}[r.IntN(7)]
		return EgressHost{Namespace: ns, Host: host}
	}
	for run := range 300 {
		m := &Model{Services: map[string]*Service{}}
		for i := range 1 + r.IntN(30) {
			h, ns := hostFor(i)
			if m.Services[h] == nil {
				m.Services[h] = &Service{Hostname: h, Namespace: ns, Name: fmt.Sprint("svc", i)}
				m.Hostnames = append(m.Hostnames, h)
			}
		}
		slices.Sort(m.Hostnames)
		for i := range r.IntN(15) {
			h, ns := hostFor(i + 100)
			vs := &VirtualService{Ref: types.NamespacedName{Namespace: ns, Name: fmt.Sprint("vs", i)}, Hosts: []string{h}}
			if r.IntN(3) == 0 {
				h2, _ := hostFor(i + 200)
				vs.Hosts = append(vs.Hosts, h2)
			}
			m.VirtualServices = append(m.VirtualServices, vs)
		}
		sc := &Sidecar{}
		for range 1 + r.IntN(4) {
			sc.Egress = append(sc.Egress, egressHost())
		}
		for _, proxyNS := range namespaces {
			var wantHosts []string
			for _, h := range m.Hostnames {
				if svc := m.Services[h]; sc.Allows(proxyNS, svc.Namespace, svc.Hostname) {
					wantHosts = append(wantHosts, h)
				}
			}
			var wantVS []*VirtualService
			for _, vs := range m.VirtualServices {
				if slices.ContainsFunc(vs.Hosts, func(h string) bool { return sc.Allows(proxyNS, vs.Ref.Namespace, h) }) {
					wantVS = append(wantVS, vs)
				}
			}
			if got := m.AllowedHostnames(sc, proxyNS); !slices.Equal(got, wantHosts) {
				t.Fatalf("run %d, egress %v, proxy in %s: hosts %v, want %v", run, sc.Egress, proxyNS, got, wantHosts)
			}
			if got := m.AllowedVirtualServices(sc, proxyNS); !slices.Equal(got, wantVS) {
				t.Fatalf("run %d, egress %v, proxy in %s: %d VirtualServices, want %d", run, sc.Egress, proxyNS, len(got), len(wantVS))
			}
		}
	}
}
