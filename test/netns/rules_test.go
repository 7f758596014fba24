package netns

import (
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/iptables"
)

// counters are the only part of a save that traffic changes.
var counters = regexp.MustCompile(`\[\d+:\d+\]`)

// save runs an iptables save tool in the pod namespace and strips comments
// (they carry a timestamp) and counters.
func (p *pair) save(t *testing.T, tool string) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(must(t, "ip", "netns", "exec", p.pod, tool), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			b.WriteString(counters.ReplaceAllString(line, "[0:0]") + "\n")
		}
	}
	return b.String()
}

// snapshot is everything sailplane-init may change in the pod namespace:
// both backends' tables in both families, policy routing and lo's
// addresses.
func (p *pair) snapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, tool := range []string{
		"iptables-legacy-save", "ip6tables-legacy-save", "iptables-nft-save", "ip6tables-nft-save",
	} {
		b.WriteString("== " + tool + "\n" + p.save(t, tool))
	}
	// Only the routing table TPROXY uses: the main tables change on their
	// own while IPv6 link-local addresses finish duplicate detection.
	table := fmt.Sprint(defaults.InboundTProxyRouteTable)
	for _, args := range [][]string{
		{"-4", "rule", "show"}, {"-6", "rule", "show"},
		{"-4", "route", "show", "table", table}, {"-6", "route", "show", "table", table},
		{"addr", "show", "dev", "lo"},
	} {
		// A missing table is an error ("FIB table does not exist"); the
		// message is as comparable as the output.
		out, _ := exec.Command("ip", append([]string{"-n", p.pod}, args...)...).CombinedOutput()
		b.WriteString("== ip " + strings.Join(args, " ") + "\n" + string(out))
	}
	return b.String()
}

// backendWithRules says which iptables backend holds sailplane's rules:
// "legacy", "nft", or "" / "both" when something went wrong.
func (p *pair) backendWithRules(t *testing.T) string {
	t.Helper()
	var found []string
	for _, b := range []string{"legacy", "nft"} {
		if strings.Contains(p.save(t, "iptables-"+b+"-save"), iptables.ChainOutput) {
			found = append(found, b)
		}
	}
	if len(found) > 1 {
		return "both"
	}
	return strings.Join(found, "")
}

// rerunConverges checks that the live rules are exactly the dry-run plan,
// then runs sailplane-init again (automatic backend) and requires every
// table, rule and route to be unchanged.
func (p *pair) rerunConverges(t *testing.T, args []string) {
	t.Helper()
	p.assertLiveIsPlan(t, args)
	before := p.snapshot(t)
	p.initRules(t, args...)
	if after := p.snapshot(t); after != before {
		t.Errorf("a second run changed the namespace:\n%s", lineDiff(before, after))
	}
}

// assertLiveIsPlan compares, chain by chain, what iptables-save shows with
// what --dry-run prints for the same flags: the golden files describe the
// kernel's state, not just our text.
func (p *pair) assertLiveIsPlan(t *testing.T, args []string) {
	t.Helper()
	backend := p.backendWithRules(t)
	if backend != "legacy" && backend != "nft" {
		t.Fatalf("sailplane's rules are in %q backends, want exactly one", backend)
	}
	dry := must(t, initBin, append([]string{"--dry-run"}, args...)...)
	v4, v6, ok := strings.Cut(dry, "# IPv6:")
	if !ok {
		t.Fatalf("dry run has no IPv6 section:\n%s", dry)
	}
	for tool, planText := range map[string]string{"iptables": v4, "ip6tables": v6} {
		plan := iptables.ParseSave(planText)
		live := iptables.ParseSave(p.save(t, tool+"-"+backend+"-save"))
		for table, pt := range plan {
			for _, chain := range chainNames(pt) {
				want, got := plan.ChainRules(table, chain), live.ChainRules(table, chain)
				if !slices.Equal(got, want) {
					t.Errorf("%s -t %s chain %s:\n got %q\nwant %q", tool, table, chain, got, want)
				}
			}
			if lt := live[table]; lt != nil {
				for _, c := range lt.Chains {
					if strings.HasPrefix(c, "ISTIO_") && !slices.Contains(pt.Chains, c) {
						t.Errorf("%s -t %s has chain %s the plan does not", tool, table, c)
					}
				}
			}
		}
	}
}

// chainNames lists the chains a planned table declares or appends to.
func chainNames(t *iptables.SavedTable) []string {
	out := append([]string(nil), t.Chains...)
	for _, r := range t.Rules {
		if f := strings.Fields(r); len(f) > 1 && !slices.Contains(out, f[1]) {
			out = append(out, f[1])
		}
	}
	return out
}

// lineDiff lists the lines only in a ("-") and only in b ("+"), enough to
// see which rule a rerun added or lost.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out strings.Builder
	for _, l := range al {
		if !slices.Contains(bl, l) {
			out.WriteString("- " + l + "\n")
		}
	}
	for _, l := range bl {
		if !slices.Contains(al, l) {
			out.WriteString("+ " + l + "\n")
		}
	}
	if out.Len() == 0 {
		return "(same lines, different order or count)\n--- before\n" + a + "\n--- after\n" + b
	}
	return out.String()
}
