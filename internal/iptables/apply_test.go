package iptables

import (
	"errors"
	"strings"
	"testing"
)

// fakeRunner records commands and answers from canned outputs; a command
// listed in fail returns an error.
type fakeRunner struct {
	outputs map[string]string
	fail    map[string]bool
	calls   []call
}

type call struct {
	cmd   string // name and args joined by spaces
	stdin string
}

func (f *fakeRunner) Run(name string, args []string, stdin string) (string, error) {
	cmd := strings.TrimSpace(name + " " + strings.Join(args, " "))
	f.calls = append(f.calls, call{cmd, stdin})
	if f.fail[cmd] {
		return "", errors.New("exit status 1: boom")
	}
	return f.outputs[cmd], nil
}

func (f *fakeRunner) commands() []string {
	var out []string
	for _, c := range f.calls {
		out = append(out, c.cmd)
	}
	return out
}

func TestApplyRunsOneTransactionPerFamily(t *testing.T) {
	r := &fakeRunner{}
	if err := Apply(parseArgs(t, istioDefault), BackendNft, Families, r); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"iptables-nft-save", "iptables-nft-restore --noflush",
		"ip6tables-nft-save", "ip6tables-nft-restore --noflush",
		"ip -6 addr replace ::6/128 dev lo",
	}
	if got := r.commands(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("commands %q, want %q", got, want)
	}
	if in := r.calls[1].stdin; !strings.HasPrefix(in, "*nat\n") || !strings.HasSuffix(in, "COMMIT\n") ||
		!strings.Contains(in, "-A PREROUTING -p tcp -j ISTIO_INBOUND") {
		t.Errorf("IPv4 restore input is not one nat transaction with the jumps:\n%s", in)
	}
	if in := r.calls[3].stdin; !strings.Contains(in, "-s ::6/128 -o lo -j RETURN") {
		t.Errorf("IPv6 restore input lacks IPv6 addresses:\n%s", in)
	}
}

// TestApplyUsesLiveRules: what the save shows decides what is appended.
func TestApplyUsesLiveRules(t *testing.T) {
	r := &fakeRunner{outputs: map[string]string{
		"iptables-save": "*nat\n-A OUTPUT -p tcp -j ISTIO_OUTPUT\nCOMMIT\n",
	}}
	if err := Apply(parseArgs(t, istioDefault), BackendDefault, []Family{IPv4}, r); err != nil {
		t.Fatal(err)
	}
	in := r.calls[1].stdin
	if strings.Contains(in, "-A OUTPUT ") || !strings.Contains(in, "-A PREROUTING ") {
		t.Errorf("expected only the missing PREROUTING jump:\n%s", in)
	}
}

func TestApplyStopsAtFirstFailure(t *testing.T) {
	r := &fakeRunner{fail: map[string]bool{"iptables-legacy-restore --noflush": true}}
	err := Apply(parseArgs(t, istioDefault), BackendLegacy, Families, r)
	if err == nil || !strings.Contains(err.Error(), "IPv4: iptables-legacy-restore --noflush: exit status 1: boom") {
		t.Fatalf("error %v does not name the family, tool and its message", err)
	}
	for _, c := range r.commands() {
		if strings.HasPrefix(c, "ip6tables") {
			t.Errorf("ran %q after IPv4 failed", c)
		}
	}
}

// TestTProxyRouteSteps: the fwmark rule is added only when `ip rule show`
// lacks it; the local route is always replaced (idempotent by itself).
func TestTProxyRouteSteps(t *testing.T) {
	cfg := parseArgs(t, withDefault("-m", "TPROXY"))
	for _, tc := range []struct {
		ruleShow string
		wantAdd  bool
	}{
		{"0:\tfrom all lookup local\n32766:\tfrom all lookup main\n", true},
		{"0:\tfrom all lookup local\n32765:\tfrom all fwmark 0x539 lookup 133\n", false},
		{"32765:\tfrom all fwmark 0x539/0xff lookup 133\n", true}, // masked: not ours
		{"32765:\tfrom all fwmark 0x539 lookup 134\n", true},
	} {
		r := &fakeRunner{outputs: map[string]string{"ip -4 rule show": tc.ruleShow}}
		if err := Apply(cfg, BackendDefault, []Family{IPv4}, r); err != nil {
			t.Fatal(err)
		}
		cmds := strings.Join(r.commands(), "|")
		if added := strings.Contains(cmds, "ip -4 rule add fwmark 1337 lookup 133"); added != tc.wantAdd {
			t.Errorf("rule show %q: added=%v, want %v", tc.ruleShow, added, tc.wantAdd)
		}
		if !strings.Contains(cmds, "ip -4 route replace local 0.0.0.0/0 dev lo table 133") {
			t.Errorf("local route missing: %s", cmds)
		}
	}
}

func TestResolveBackend(t *testing.T) {
	withRules := "*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j KUBE\n-A OUTPUT -j X\nCOMMIT\n"
	oneRule := "*filter\n-A INPUT -j ACCEPT\nCOMMIT\n"
	for _, tc := range []struct {
		legacy, nft string
		fail        map[string]bool
		want        Backend
	}{
		{"", "", nil, BackendDefault},
		{withRules, "", nil, BackendLegacy},
		{"", withRules, nil, BackendNft},
		{oneRule, withRules, nil, BackendNft},
		{withRules, oneRule, nil, BackendLegacy},
		{withRules, "", map[string]bool{"iptables-legacy-save": true}, BackendDefault},
	} {
		r := &fakeRunner{
			outputs: map[string]string{"iptables-legacy-save": tc.legacy, "iptables-nft-save": tc.nft},
			fail:    tc.fail,
		}
		if got := ResolveBackend(BackendAuto, r); got != tc.want {
			t.Errorf("legacy %q nft %q: %s, want %s", tc.legacy, tc.nft, got, tc.want)
		}
	}
	r := &fakeRunner{}
	if got := ResolveBackend(BackendLegacy, r); got != BackendLegacy || len(r.calls) != 0 {
		t.Errorf("forced backend: got %s after %d probes", got, len(r.calls))
	}
}

func TestBackendCommands(t *testing.T) {
	for _, tc := range []struct {
		b    Backend
		f    Family
		want string
	}{
		{BackendDefault, IPv4, "iptables-restore"},
		{BackendDefault, IPv6, "ip6tables-restore"},
		{BackendLegacy, IPv6, "ip6tables-legacy-restore"},
		{BackendNft, IPv4, "iptables-nft-restore"},
	} {
		if got := tc.b.Command(tc.f, "restore"); got != tc.want {
			t.Errorf("%s %s: %s, want %s", tc.b, tc.f, got, tc.want)
		}
	}
	if _, err := ParseBackend("iptables"); err == nil || !strings.Contains(err.Error(), "--iptables-backend") {
		t.Errorf("ParseBackend accepted a bad value or did not name the flag: %v", err)
	}
}
