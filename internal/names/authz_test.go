package names

import "testing"

func TestAuthzPolicyNameRoundTrips(t *testing.T) {
	n := AuthzPolicy("istio-system", "deny-all", 12)
	if n != "ns[istio-system]-policy[deny-all]-rule[12]" {
		t.Fatalf("name %q", n)
	}
	ns, name, rule, ok := ParseAuthzPolicy(n)
	if !ok || ns != "istio-system" || name != "deny-all" || rule != 12 {
		t.Errorf("parsed %q %q %d %v", ns, name, rule, ok)
	}
	for _, bad := range []string{"", "ns[a]-policy[b]", "ns[a]-policy[b]-rule[x]", "ns[a]-policy[b]-rule[1", "policy[b]-rule[1]"} {
		if _, _, _, ok := ParseAuthzPolicy(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}
