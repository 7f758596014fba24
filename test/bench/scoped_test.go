package bench

import (
	"sort"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// With --scoped N every workload's proxy is configured for exactly the N
// services its Sidecar lists (those it calls), across namespaces.
func TestScopedMeshConfiguresOnlyCallees(t *testing.T) {
	m := NewMesh(Spec{Services: 30, Namespaces: 4, Seed: 2, RuleShare: 0.3, Scoped: 5})
	mod := model.Build(m.Bundle())
	for _, p := range []*Pod{m.Pods[0], m.Pods[17], m.Pods[len(m.Pods)-1]} {
		var want []string
		for _, c := range p.Service.Calls {
			want = append(want, names.OutboundCluster(HTTPPort, "", c.Host()))
		}
		sort.Strings(want)
		var got []string
		for _, c := range xds.Generate(mod, ProxyFor(mod, p)).Clusters {
			if k, ok := names.ParseCluster(c.Name); ok && k.Direction == names.Outbound && k.Subset == "" {
				got = append(got, c.Name)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: outbound clusters %v, want those of the %d services it calls %v", p.Name, got, len(want), want)
		}
	}
	if problems := mod.Status.Lines(); len(problems) != 0 {
		t.Errorf("the scoped mesh has problems: %v", problems)
	}
}
