package iptables

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.rules from the current output")

// istioDefault is the istio-init command of a default injected pod.
var istioDefault = []string{"-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT",
	"-i", "*", "-x", "", "-b", "*", "-d", "15090,15021,15020"}

func withDefault(extra ...string) []string {
	return append(append([]string(nil), istioDefault...), extra...)
}

// goldenCases: flag combinations → testdata/<name>.rules, the --dry-run
// output for those flags.
var goldenCases = []struct {
	name string
	args []string
}{
	{"istio-default", istioDefault},
	{"no-flags", nil},
	{"exclude-cidrs", withDefault("-x", "10.96.0.0/12,169.254.169.254/32")},
	{"include-cidrs", withDefault("-i", "10.96.0.0/12,192.168.0.0/16")},
	{"include-loopback", withDefault("-i", "127.0.0.1/32,10.0.0.0/8")},
	{"inbound-ports", withDefault("-b", "9080,9443")},
	{"no-inbound", withDefault("-b", "")},
	{"exclude-ports", withDefault("-d", "15090,15021,15020,22", "-o", "3306,6379")},
	{"include-outbound-ports", withDefault("-i", "", "-q", "8080,443")},
	{"owner-ids", withDefault("-u", "1337,1500", "-g", "1600")},
	{"tproxy", withDefault("-m", "TPROXY")},
	{"tproxy-ports", withDefault("-m", "TPROXY", "-b", "9080", "-t", "1400", "-r", "140")},
	{"ipv6", withDefault("-i", "10.96.0.0/12,fd00:10:96::/112", "-x", "10.96.0.10/32,fd00:10:96::a/128,2001:db8::/32")},
	{"long-flags", []string{"--envoy-port", "16001", "--inbound-capture-port", "16006", "--proxy-uid", "2000",
		"--istio-service-exclude-cidr", "10.0.0.0/8", "--istio-local-exclude-ports", "15090",
		"--istio-local-outbound-ports-exclude", "25"}},
}

// parseArgs runs args through the same flag registration the command uses.
func parseArgs(t *testing.T, args []string) Config {
	t.Helper()
	opts := DefaultOptions()
	fs := flag.NewFlagSet("sailplane-init", flag.ContinueOnError)
	opts.Register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	cfg, err := opts.Config()
	if err != nil {
		t.Fatalf("config %q: %v", args, err)
	}
	return cfg
}

func TestGoldenRuleSets(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			got := "# args: " + quoteArgs(tc.args) + "\n" + DryRun(parseArgs(t, tc.args))
			path := filepath.Join("testdata", tc.name+".rules")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/iptables -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s is stale (go test ./internal/iptables -update, then review the diff)\n--- got\n%s", path, got)
			}
		})
	}
}

// TestGoldenFilesHaveCases fails on a golden file no case writes, so a
// renamed case cannot leave a stale file behind that nobody checks.
func TestGoldenFilesHaveCases(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.rules"))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, tc := range goldenCases {
		known[tc.name+".rules"] = true
	}
	for _, f := range files {
		if !known[filepath.Base(f)] {
			t.Errorf("%s has no golden case", f)
		}
	}
	if len(files) != len(goldenCases) {
		t.Errorf("%d golden files for %d cases", len(files), len(goldenCases))
	}
}

// TestDryRunIsDeterministic renders every case twice.
func TestDryRunIsDeterministic(t *testing.T) {
	for _, tc := range goldenCases {
		cfg := parseArgs(t, tc.args)
		if a, b := DryRun(cfg), DryRun(cfg); a != b {
			t.Errorf("%s: two renders differ", tc.name)
		}
	}
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, "* ") {
			a = "'" + a + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}
