package model

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func pa(name, ns, created, spec string) string {
	return "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: " + name + ", namespace: " + ns +
		", creationTimestamp: \"" + created + "\"}\nspec: " + spec
}

func TestMTLSModePrecedence(t *testing.T) {
	const (
		t1 = "2026-01-01T00:00:00Z"
		t2 = "2026-01-02T00:00:00Z"
	)
	db := map[string]string{"app": "db"}
	web := map[string]string{"app": "web"}
	for _, tc := range []struct {
		name   string
		docs   []string
		ns     string
		labels map[string]string
		port   uint32
		want   MTLSMode
	}{
		{"nothing: PERMISSIVE", nil, "prod", web, 80, MTLSPermissive},
		{"mesh-wide", []string{pa("default", "istio-system", t1, "{mtls: {mode: STRICT}}")}, "prod", web, 80, MTLSStrict},
		{"namespace beats mesh", []string{
			pa("default", "istio-system", t1, "{mtls: {mode: STRICT}}"),
			pa("default", "prod", t1, "{mtls: {mode: DISABLE}}")}, "prod", web, 80, MTLSDisable},
		{"namespace UNSET inherits mesh", []string{
			pa("default", "istio-system", t1, "{mtls: {mode: STRICT}}"),
			pa("default", "prod", t1, "{mtls: {mode: UNSET}}")}, "prod", web, 80, MTLSStrict},
		{"other namespace's policy does not apply", []string{pa("default", "dev", t1, "{mtls: {mode: STRICT}}")}, "prod", web, 80, MTLSPermissive},
		{"workload beats namespace", []string{
			pa("default", "prod", t1, "{mtls: {mode: STRICT}}"),
			pa("db", "prod", t1, "{selector: {matchLabels: {app: db}}, mtls: {mode: PERMISSIVE}}")}, "prod", db, 5432, MTLSPermissive},
		{"workload policy selects other pods only", []string{
			pa("default", "prod", t1, "{mtls: {mode: STRICT}}"),
			pa("db", "prod", t1, "{selector: {matchLabels: {app: db}}, mtls: {mode: DISABLE}}")}, "prod", web, 80, MTLSStrict},
		{"port beats workload", []string{
			pa("db", "prod", t1, `{selector: {matchLabels: {app: db}}, mtls: {mode: STRICT}, portLevelMtls: {"9000": {mode: DISABLE}}}`)}, "prod", db, 9000, MTLSDisable},
		{"other port keeps the workload mode", []string{
			pa("db", "prod", t1, `{selector: {matchLabels: {app: db}}, mtls: {mode: STRICT}, portLevelMtls: {"9000": {mode: DISABLE}}}`)}, "prod", db, 5432, MTLSStrict},
		{"port UNSET inherits the namespace", []string{
			pa("default", "prod", t1, "{mtls: {mode: DISABLE}}"),
			pa("db", "prod", t1, `{selector: {matchLabels: {app: db}}, portLevelMtls: {"9000": {mode: UNSET}}}`)}, "prod", db, 9000, MTLSDisable},
		{"port-level without workload mode over mesh", []string{
			pa("default", "istio-system", t1, "{mtls: {mode: STRICT}}"),
			pa("db", "prod", t1, `{selector: {matchLabels: {app: db}}, portLevelMtls: {"9000": {mode: PERMISSIVE}}}`)}, "prod", db, 9000, MTLSPermissive},
		{"oldest namespace policy wins", []string{
			pa("b-newer", "prod", t2, "{mtls: {mode: DISABLE}}"),
			pa("z-older", "prod", t1, "{mtls: {mode: STRICT}}")}, "prod", web, 80, MTLSStrict},
		{"oldest selecting policy wins", []string{
			pa("a-newer", "prod", t2, "{selector: {matchLabels: {app: db}}, mtls: {mode: DISABLE}}"),
			pa("z-older", "prod", t1, "{selector: {matchLabels: {app: db}}, mtls: {mode: STRICT}}")}, "prod", db, 80, MTLSStrict},
		{"namespace-wide portLevelMtls is ignored", []string{
			pa("default", "prod", t1, `{mtls: {mode: STRICT}, portLevelMtls: {"80": {mode: DISABLE}}}`)}, "prod", web, 80, MTLSStrict},
		{"root namespace selector applies there only", []string{
			pa("gw", "istio-system", t1, "{selector: {matchLabels: {app: web}}, mtls: {mode: STRICT}}")}, "prod", web, 80, MTLSPermissive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Build(decode(t, tc.docs...))
			if got := m.MTLSModeFor(tc.ns, tc.labels, tc.port); got != tc.want {
				t.Errorf("mode %s, want %s; problems %v", got, tc.want, m.Status.Lines())
			}
		})
	}
}

func TestPeerAuthenticationProblems(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: db-0, namespace: prod, labels: {app: db}}\nspec: {containers: [{name: a, image: x}]}"
	m := Build(decode(t, pod,
		pa("old", "prod", "2026-01-01T00:00:00Z", "{mtls: {mode: STRICT}}"),
		pa("new", "prod", "2026-01-02T00:00:00Z", "{mtls: {mode: DISABLE}}"),
		pa("db-a", "prod", "2026-01-01T00:00:00Z", "{selector: {matchLabels: {app: db}}, mtls: {mode: STRICT}}"),
		pa("db-b", "prod", "2026-01-02T00:00:00Z", `{selector: {matchLabels: {app: db}}, portLevelMtls: {"0": {mode: DISABLE}, "x": {mode: STRICT}, "80": {mode: BOGUS}}}`),
		pa("ports", "dev", "2026-01-01T00:00:00Z", `{portLevelMtls: {"80": {mode: DISABLE}}}`),
		pa("fine", "dev", "2026-01-02T00:00:00Z", `{selector: {matchLabels: {app: db}}}`),
	))
	got := strings.Join(m.Status.Lines(), "\n")
	for _, want := range []string{
		"PeerAuthentication prod/new: ignored: PeerAuthentication prod/old is older and already applies to namespace prod",
		"PeerAuthentication prod/db-b: selector: pod prod/db-0 is also selected by the older PeerAuthentication prod/db-a, which applies to it instead",
		"PeerAuthentication prod/db-b: portLevelMtls[0]: port must be between 1-65535; ignored",
		"PeerAuthentication prod/db-b: portLevelMtls[x]: port must be between 1-65535; ignored",
		`PeerAuthentication prod/db-b: portLevelMtls[80].mode: unknown mode "BOGUS"; inherits instead`,
		"PeerAuthentication dev/ports: portLevelMtls: portLevelMtls requires selector; ignored",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing problem %q in:\n%s", want, got)
		}
	}
	for _, ok := range []string{"prod/old", "prod/db-a", "dev/fine"} {
		ns, name, _ := strings.Cut(ok, "/")
		if p := m.Status.Problems(paRef(types.NamespacedName{Namespace: ns, Name: name})); len(p) != 0 {
			t.Errorf("%s should be accepted, has %v", ok, p)
		}
	}
	if n := len(m.Status.Objects()); n != 6 {
		t.Errorf("want all 6 policies in status, have %d", n)
	}
}
