package iptables

import (
	"slices"
	"strings"
	"testing"
)

// applyNoflush models `iptables-restore --noflush` on a State: a chain
// declaration creates the chain or empties it, -A appends. The netns test
// checks the real tools behave so; this model lets the convergence logic
// be tested for many flag combinations quickly.
func applyNoflush(st State, input string) State {
	out := State{}
	for name, t := range st {
		out[name] = &SavedTable{Chains: slices.Clone(t.Chains), Rules: slices.Clone(t.Rules)}
	}
	var cur *SavedTable
	var curName string
	for _, line := range strings.Split(input, "\n") {
		switch {
		case strings.HasPrefix(line, "*"):
			curName = line[1:]
			if out[curName] == nil {
				out[curName] = &SavedTable{Chains: []string{"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"}}
			}
			cur = out[curName]
		case strings.HasPrefix(line, ":"):
			chain := strings.Fields(line[1:])[0]
			if !slices.Contains(cur.Chains, chain) {
				cur.Chains = append(cur.Chains, chain)
			}
			cur.Rules = slices.DeleteFunc(cur.Rules, func(r string) bool {
				return strings.HasPrefix(r, "-A "+chain+" ")
			})
		case strings.HasPrefix(line, "-A "):
			cur.Rules = append(cur.Rules, line)
		}
	}
	return out
}

// render prints a State chain by chain: only the order within a chain
// matters to the kernel (and to iptables-save, which groups by chain).
func render(st State) string {
	var b strings.Builder
	for _, name := range []string{TableMangle, TableNat} {
		t := st[name]
		if t == nil {
			continue
		}
		chains := slices.Sorted(slices.Values(t.Chains))
		b.WriteString("*" + name + " " + strings.Join(chains, " ") + "\n")
		for _, c := range chains {
			for _, r := range st.ChainRules(name, c) {
				b.WriteString("-A " + c + " " + r + "\n")
			}
		}
	}
	return b.String()
}

// TestRerunConverges applies every golden case twice on a namespace that
// already holds someone else's rules: the second run changes nothing, the
// foreign rules survive, each jump exists once.
func TestRerunConverges(t *testing.T) {
	foreign := "-A PREROUTING -d 169.254.169.254/32 -p tcp -j DNAT --to-destination 10.0.0.1"
	for _, tc := range goldenCases {
		cfg := parseArgs(t, tc.args)
		for _, f := range Families {
			rs := Build(cfg, f)
			start := State{TableNat: {Chains: []string{"PREROUTING", "OUTPUT"}, Rules: []string{foreign}}}
			once := applyNoflush(start, RestoreInput(rs, start))
			twice := applyNoflush(once, RestoreInput(rs, once))
			if render(once) != render(twice) {
				t.Errorf("%s %s: second run changed the rules\n--- once\n%s--- twice\n%s", tc.name, f, render(once), render(twice))
			}
			if !slices.Contains(twice[TableNat].Rules, foreign) {
				t.Errorf("%s %s: a foreign PREROUTING rule was lost", tc.name, f)
			}
			jump := Rule{"OUTPUT", "-p tcp -j " + ChainOutput}.String()
			if n := count(twice[TableNat].Rules, jump); n != 1 {
				t.Errorf("%s %s: %d OUTPUT jumps, want 1", tc.name, f, n)
			}
		}
	}
}

func count(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

// TestRerunSkipsPresentBuiltinRules: with the jumps live, the restore
// input still declares and refills our chains but appends no jump again.
func TestRerunSkipsPresentBuiltinRules(t *testing.T) {
	rs := Build(parseArgs(t, istioDefault), IPv4)
	live := ParseSave(`*nat
:PREROUTING ACCEPT [10:600]
:OUTPUT ACCEPT [3:180]
:ISTIO_OUTPUT - [0:0]
-A PREROUTING -p tcp -j ISTIO_INBOUND
-A OUTPUT -p tcp -j ISTIO_OUTPUT
-A ISTIO_OUTPUT -j RETURN
COMMIT
`)
	in := RestoreInput(rs, live)
	for _, jump := range []string{"-A PREROUTING -p tcp -j ISTIO_INBOUND", "-A OUTPUT -p tcp -j ISTIO_OUTPUT"} {
		if strings.Contains(in, jump) {
			t.Errorf("jump %q appended although live", jump)
		}
	}
	for _, want := range []string{":ISTIO_OUTPUT - [0:0]", "-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001"} {
		if !strings.Contains(in, want) {
			t.Errorf("restore input lacks %q:\n%s", want, in)
		}
	}
}

// TestStaleOwnChainsAreEmptied: after a TPROXY run, a REDIRECT run must
// empty the mangle chains it no longer uses instead of leaving TPROXY live.
func TestStaleOwnChainsAreEmptied(t *testing.T) {
	tproxy := Build(parseArgs(t, withDefault("-m", "TPROXY")), IPv4)
	redirect := Build(parseArgs(t, istioDefault), IPv4)
	st := applyNoflush(State{}, RestoreInput(tproxy, State{}))
	st = applyNoflush(st, RestoreInput(redirect, st))
	for _, chain := range []string{ChainInbound, ChainDivert, ChainTProxy} {
		if rules := st.ChainRules(TableMangle, chain); len(rules) != 0 {
			t.Errorf("mangle %s still holds %q", chain, rules)
		}
	}
	if rules := st.ChainRules(TableNat, ChainInbound); len(rules) == 0 {
		t.Error("nat ISTIO_INBOUND empty after the REDIRECT run")
	}
}
