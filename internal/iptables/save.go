package iptables

import (
	"slices"
	"strings"
)

// SavedTable is one table as iptables-save printed it.
type SavedTable struct {
	Chains []string // every chain, built-in or not, in printed order
	Rules  []string // every "-A ..." line, in printed order
}

// State is the live rule set of one family: table name → table.
type State map[string]*SavedTable

// ParseSave reads iptables-save (or ip6tables-save) output. Comments,
// counters and policies are ignored: only which chains exist and which
// rules they hold matter for deciding what to write.
func ParseSave(text string) State {
	st := State{}
	var cur *SavedTable
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "*"):
			cur = &SavedTable{}
			st[strings.TrimPrefix(line, "*")] = cur
		case cur == nil:
		case strings.HasPrefix(line, ":"):
			if f := strings.Fields(line[1:]); len(f) > 0 {
				cur.Chains = append(cur.Chains, f[0])
			}
		case strings.HasPrefix(line, "-A "):
			cur.Rules = append(cur.Rules, strings.Join(strings.Fields(line), " "))
		case line == "COMMIT":
			cur = nil
		}
	}
	return st
}

// hasChain reports whether table holds chain.
func (st State) hasChain(table, chain string) bool {
	t := st[table]
	if t == nil {
		return false
	}
	return slices.Contains(t.Chains, chain)
}

// hasRule reports whether table holds exactly this rule line.
func (st State) hasRule(table string, r Rule) bool {
	t := st[table]
	if t == nil {
		return false
	}
	return slices.Contains(t.Rules, r.String())
}

// RuleCount is the number of rules in all tables, used to tell which
// iptables backend a namespace already uses.
func (st State) RuleCount() int {
	n := 0
	for _, t := range st {
		n += len(t.Rules)
	}
	return n
}

// ChainRules returns the rules of chain in table, in order, each without
// the "-A CHAIN " prefix. Tests compare the live rules with the planned ones
// through it.
func (st State) ChainRules(table, chain string) []string {
	t := st[table]
	if t == nil {
		return nil
	}
	var out []string
	prefix := "-A " + chain + " "
	for _, r := range t.Rules {
		if strings.HasPrefix(r, prefix) {
			out = append(out, strings.TrimPrefix(r, prefix))
		}
	}
	return out
}
