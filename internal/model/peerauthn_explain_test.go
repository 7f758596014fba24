package model

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

// TestExplainMTLSMode: each decision names the level and the policy that
// set the mode, and the more specific policies that left it UNSET.
func TestExplainMTLSMode(t *testing.T) {
	const t1 = "2026-01-01T00:00:00Z"
	db := map[string]string{"app": "db"}
	ref := func(ns, name string) *types.NamespacedName { return &types.NamespacedName{Namespace: ns, Name: name} }
	for _, tc := range []struct {
		name      string
		docs      []string
		port      uint32
		mode      MTLSMode
		level     string
		policy    *types.NamespacedName
		inherited []types.NamespacedName
	}{
		{"nothing", nil, 80, MTLSPermissive, MTLSLevelDefault, nil, nil},
		{"mesh", []string{pa("default", "istio-system", t1, "{mtls: {mode: STRICT}}")}, 80, MTLSStrict, MTLSLevelMesh, ref("istio-system", "default"), nil},
		{"namespace over mesh", []string{
			pa("default", "istio-system", t1, "{mtls: {mode: STRICT}}"),
			pa("ns", "prod", t1, "{mtls: {mode: DISABLE}}")}, 80, MTLSDisable, MTLSLevelNamespace, ref("prod", "ns"), nil},
		{"workload and namespace UNSET inherit the mesh", []string{
			pa("default", "istio-system", t1, "{mtls: {mode: STRICT}}"),
			pa("ns", "prod", t1, "{mtls: {mode: UNSET}}"),
			pa("db", "prod", t1, "{selector: {matchLabels: {app: db}}}")}, 80, MTLSStrict, MTLSLevelMesh, ref("istio-system", "default"),
			[]types.NamespacedName{{Namespace: "prod", Name: "db"}, {Namespace: "prod", Name: "ns"}}},
		{"workload", []string{
			pa("ns", "prod", t1, "{mtls: {mode: STRICT}}"),
			pa("db", "prod", t1, `{selector: {matchLabels: {app: db}}, mtls: {mode: PERMISSIVE}, portLevelMtls: {"9000": {mode: DISABLE}}}`)},
			80, MTLSPermissive, MTLSLevelWorkload, ref("prod", "db"), nil},
		{"port", []string{
			pa("db", "prod", t1, `{selector: {matchLabels: {app: db}}, mtls: {mode: PERMISSIVE}, portLevelMtls: {"9000": {mode: DISABLE}}}`)},
			9000, MTLSDisable, MTLSLevelPort, ref("prod", "db"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Build(decode(t, tc.docs...))
			d := m.ExplainMTLSMode("prod", db, tc.port)
			if d.Mode != tc.mode || d.Level != tc.level {
				t.Errorf("%s at level %s, want %s at %s", d.Mode, d.Level, tc.mode, tc.level)
			}
			if (d.Policy == nil) != (tc.policy == nil) || (d.Policy != nil && *d.Policy != *tc.policy) {
				t.Errorf("policy %v, want %v", d.Policy, tc.policy)
			}
			if len(d.Inherited) != len(tc.inherited) {
				t.Fatalf("inherited %v, want %v", d.Inherited, tc.inherited)
			}
			for i := range d.Inherited {
				if d.Inherited[i] != tc.inherited[i] {
					t.Errorf("inherited %v, want %v", d.Inherited, tc.inherited)
				}
			}
			if got := m.MTLSModeFor("prod", db, tc.port); got != d.Mode {
				t.Errorf("MTLSModeFor %s disagrees with the explanation %s", got, d.Mode)
			}
		})
	}
}
