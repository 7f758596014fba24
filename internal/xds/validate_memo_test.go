package xds

import (
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
)

// routeConfigValid validates shared virtual hosts once per model; it must
// agree with ValidateAll on every table, in verdict and in message, also
// when a virtual host was validated before in another table.
func TestMemoisedValidationAgreesWithValidateAll(t *testing.T) {
	g := &generator{m: model.Build(&bundle.Bundle{}), out: &Resources{}}
	good := &routev3.VirtualHost{Name: "a", Domains: []string{"a"}}
	bad := &routev3.VirtualHost{Name: "", Domains: []string{"b"}} // a name is required
	tables := []*routev3.RouteConfiguration{
		{Name: "80", VirtualHosts: []*routev3.VirtualHost{good}},
		{Name: "81", VirtualHosts: []*routev3.VirtualHost{good, bad}},
		{Name: "82", VirtualHosts: []*routev3.VirtualHost{good}, RequestHeadersToRemove: []string{"x\ny"}}, // an own field
		{Name: "83", VirtualHosts: []*routev3.VirtualHost{bad}},
		{Name: "84"},
	}
	for round := range 2 { // the second round answers from the memo
		for _, rc := range tables {
			want, got := rc.ValidateAll(), g.valid(rc)
			if (want == nil) != (got == nil) || (want != nil && want.Error() != got.Error()) {
				t.Errorf("round %d, table %s: memoised validation %v, ValidateAll %v", round, rc.Name, got, want)
			}
		}
	}
	if g.valid(tables[1]) == nil || g.valid(tables[2]) == nil || g.valid(tables[0]) != nil {
		t.Error("the cases do not cover both verdicts")
	}
	c := &clusterv3.Cluster{Name: ""} // a name is required
	if g.valid(c) == nil || g.valid(c) == nil {
		t.Error("an invalid cluster passed, from the memo or not")
	}
}

// A refused domain is taken out of a copy of its virtual host: virtual
// hosts are shared with other proxies' tables.
func TestRefusedDomainsLeaveSharedVirtualHostsAlone(t *testing.T) {
	shared := &routev3.VirtualHost{Name: "a", Domains: []string{"a", "bad\nhost", "a:80"}}
	hosts := []*routev3.VirtualHost{shared}
	g := &generator{m: model.Build(&bundle.Bundle{}), out: &Resources{Routes: []*routev3.RouteConfiguration{{Name: "80", VirtualHosts: hosts}}}}
	g.dropRefusedDomains()
	got := g.out.Routes[0].VirtualHosts
	if len(got) != 1 || len(got[0].Domains) != 2 || got[0].Domains[1] != "a:80" {
		t.Fatalf("virtual hosts after dropping %v, want a with a and a:80", got)
	}
	if len(shared.Domains) != 3 || hosts[0] != shared {
		t.Errorf("the shared virtual host or list was changed: %v", shared.Domains)
	}
	if len(g.out.Problems) != 1 {
		t.Errorf("problems %v, want the refused domain's", g.out.Problems)
	}
}
