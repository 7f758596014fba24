package iptables

import (
	"fmt"
	"slices"
	"strings"
)

// RestoreInput renders rs as input for `iptables-restore --noflush`, given
// cur, the family's live rules (nil for a fresh namespace). See the package
// doc for why this converges: own chains are declared, which empties them,
// and rules in built-in chains are written only when cur lacks them.
func RestoreInput(rs RuleSet, cur State) string {
	var b strings.Builder
	for _, t := range tablesToWrite(rs, cur) {
		b.WriteString("*" + t.Name + "\n")
		for _, c := range chainsToDeclare(t, cur) {
			fmt.Fprintf(&b, ":%s - [0:0]\n", c)
		}
		for _, r := range groupByChain(t) {
			if !isOwnChain(r.Chain) && cur.hasRule(t.Name, r) {
				continue
			}
			b.WriteString(r.String() + "\n")
		}
		b.WriteString("COMMIT\n")
	}
	return b.String()
}

// tablesToWrite is rs's tables plus any table where cur holds an own chain
// this run does not use (left by a run with other flags): writing that table
// with the chain declared empties it.
func tablesToWrite(rs RuleSet, cur State) []Table {
	out := append([]Table(nil), rs.Tables...)
	for _, name := range []string{TableNat, TableMangle} {
		if hasTable(out, name) {
			continue
		}
		for _, c := range ownChains {
			if cur.hasChain(name, c) {
				out = append(out, Table{Name: name})
				break
			}
		}
	}
	return out
}

func hasTable(ts []Table, name string) bool {
	for _, t := range ts {
		if t.Name == name {
			return true
		}
	}
	return false
}

// chainsToDeclare is t's own chains, then own chains that exist live but
// are unused now, in a fixed order.
func chainsToDeclare(t Table, cur State) []string {
	out := append([]string(nil), t.Chains...)
	for _, c := range ownChains {
		if cur.hasChain(t.Name, c) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// groupByChain orders t's rules chain by chain (own chains in declaration
// order, then built-in chains by first use), keeping each chain's order.
// Only the order within a chain matters to the kernel; grouping makes the
// text read like iptables-save.
func groupByChain(t Table) []Rule {
	order := append([]string(nil), t.Chains...)
	for _, r := range t.Rules {
		if !slices.Contains(order, r.Chain) {
			order = append(order, r.Chain)
		}
	}
	var out []Rule
	for _, c := range order {
		for _, r := range t.Rules {
			if r.Chain == c {
				out = append(out, r)
			}
		}
	}
	return out
}

// DryRun is what --dry-run prints: for each family, the restore input for
// a fresh pod namespace and the iproute2 steps, as comments.
func DryRun(cfg Config) string {
	var b strings.Builder
	for _, f := range Families {
		rs := Build(cfg, f)
		fmt.Fprintf(&b, "# %s: %s-restore --noflush\n", f, f.command())
		b.WriteString(RestoreInput(rs, nil))
		for _, s := range rs.Routes {
			fmt.Fprintf(&b, "# %s: %s\n", f, s)
		}
	}
	return b.String()
}
