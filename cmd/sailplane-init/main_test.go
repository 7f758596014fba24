package main

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

// fakeEnv stands in for the machine: canned command outputs, failures and
// files, and a record of every command run.
type fakeEnv struct {
	outputs map[string]string
	fail    map[string]bool
	files   map[string]string
	calls   []string
}

func (f *fakeEnv) Run(name string, args []string, _ string) (string, error) {
	cmd := strings.TrimSpace(name + " " + strings.Join(args, " "))
	f.calls = append(f.calls, cmd)
	if f.fail[cmd] {
		return "", errors.New("exit status 2: iptables-restore: line 3 failed")
	}
	return f.outputs[cmd], nil
}

func (f *fakeEnv) ReadFile(name string) ([]byte, error) {
	s, ok := f.files[name]
	if !ok {
		return nil, os.ErrNotExist
	}
	return []byte(s), nil
}

func runWith(e *fakeEnv, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb, e)
	return code, out.String(), errb.String()
}

var istioInit = []string{"-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT",
	"-i", "*", "-x", "", "-b", "*", "-d", "15090,15021,15020"}

// TestDryRunPrintsTheGoldenRules: --dry-run prints exactly the golden rule
// set (minus its args header) and runs nothing.
func TestDryRunPrintsTheGoldenRules(t *testing.T) {
	golden, err := os.ReadFile("../../internal/iptables/testdata/istio-default.rules")
	if err != nil {
		t.Fatal(err)
	}
	_, want, _ := strings.Cut(string(golden), "\n")
	e := &fakeEnv{}
	code, out, errOut := runWith(e, append([]string{"--dry-run"}, istioInit...)...)
	if code != 0 || out != want {
		t.Fatalf("exit %d, stderr %q, stdout differs from the golden file:\n%s", code, errOut, out)
	}
	if len(e.calls) != 0 {
		t.Errorf("dry run ran %q", e.calls)
	}
}

// TestBadFlagsTouchNothing: exit 2, a message naming the flag, and not a
// single command run.
func TestBadFlagsTouchNothing(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-p", "70000"}, "flag -p"},
		{[]string{"-x", "10.0.0.300/8"}, "flag -x"},
		{[]string{"-i", "10.0.0.0"}, "flag -i"},
		{[]string{"-m", "TPROXYY"}, "flag -m"},
		{[]string{"--ipv6", "maybe"}, "flag --ipv6"},
		{[]string{"--iptables-backend", "iptables"}, "flag --iptables-backend"},
		{[]string{"-b", "*", "15090"}, "unexpected arguments"},
		{[]string{"-Z", "1"}, "flag provided but not defined: -Z"},
	} {
		e := &fakeEnv{}
		code, _, errOut := runWith(e, append(append([]string(nil), istioInit...), tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
		if len(e.calls) != 0 {
			t.Errorf("%q: ran %q before failing", tc.args, e.calls)
		}
	}
}

// TestAutoDetection: a namespace whose legacy tables hold rules and whose
// interfaces have a global IPv6 address gets both families through the
// legacy tools, and the log shows what was written.
func TestAutoDetection(t *testing.T) {
	e := &fakeEnv{
		outputs: map[string]string{"iptables-legacy-save": "*filter\n-A INPUT -j ACCEPT\nCOMMIT\n"},
		files:   map[string]string{ifInet6: "fd000000000000000000000000000002 04 40 00 82     eth0\n"},
	}
	code, out, errOut := runWith(e, istioInit...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	calls := strings.Join(e.calls, "|")
	for _, want := range []string{"iptables-legacy-restore --noflush", "ip6tables-legacy-restore --noflush"} {
		if !strings.Contains(calls, want) {
			t.Errorf("did not run %q: %s", want, calls)
		}
	}
	if !strings.Contains(out, "+ iptables-legacy-restore --noflush\n*nat\n") {
		t.Errorf("log lacks the restore input:\n%s", out)
	}
}

// TestIPv6OnlyWhenThePodHasIt: link-local and loopback addresses do not
// count, and --ipv6=false wins over a global address.
func TestIPv6OnlyWhenThePodHasIt(t *testing.T) {
	linkLocal := "fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n"
	global := "fd000000000000000000000000000002 04 40 00 82     eth0\n"
	for _, tc := range []struct {
		files map[string]string
		flag  string
		want  bool
	}{
		{nil, "auto", false},
		{map[string]string{ifInet6: linkLocal}, "auto", false},
		{map[string]string{ifInet6: global}, "auto", true},
		{map[string]string{ifInet6: global}, "false", false},
		{nil, "true", true},
	} {
		e := &fakeEnv{files: tc.files}
		if code, _, errOut := runWith(e, append([]string{"--ipv6", tc.flag}, istioInit...)...); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if got := strings.Contains(strings.Join(e.calls, "|"), "ip6tables-restore"); got != tc.want {
			t.Errorf("--ipv6=%s with %q: IPv6 applied %v, want %v", tc.flag, tc.files, got, tc.want)
		}
	}
}

func TestRestoreFailureExitsOne(t *testing.T) {
	e := &fakeEnv{fail: map[string]bool{"iptables-nft-restore --noflush": true}}
	code, _, errOut := runWith(e, append([]string{"--iptables-backend", "nft"}, istioInit...)...)
	if code != 1 || !strings.Contains(errOut, "line 3 failed") {
		t.Errorf("exit %d, stderr %q; want 1 and the tool's message", code, errOut)
	}
}
