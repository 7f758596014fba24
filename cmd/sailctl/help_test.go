package main

import (
	"bytes"
	"strings"
	"testing"
)

// Help is asked for, so it goes to stdout and succeeds, as in kubectl and
// istioctl; every subcommand answers -h and --help with its own usage.
func TestHelpGoesToStdoutAndSucceeds(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // the start of stdout
	}{
		{nil, "usage: sailctl COMMAND"},
		{[]string{"--help"}, "usage: sailctl COMMAND"},
		{[]string{"-h"}, "usage: sailctl COMMAND"},
		{[]string{"help"}, "usage: sailctl COMMAND"},
		{[]string{"x", "--help"}, "usage: sailctl COMMAND"},
		{[]string{"x", "translate", "-h"}, "usage: sailctl x translate"},
		{[]string{"x", "translate", "--help"}, "usage: sailctl x translate"},
		{[]string{"x", "describe", "-h"}, "usage: sailctl x describe pod"},
		{[]string{"x", "describe", "pod", "web", "--help"}, "usage: sailctl x describe pod"},
		{[]string{"x", "call", "-h"}, "usage: sailctl x call"},
		{[]string{"x", "call", "--help"}, "usage: sailctl x call"},
		{[]string{"kube-inject", "-h"}, "usage: sailctl kube-inject"},
		{[]string{"kube-inject", "--help"}, "usage: sailctl kube-inject"},
		{[]string{"proxy-status", "-h"}, "usage: sailctl proxy-status"},
		{[]string{"proxy-status", "--help"}, "usage: sailctl proxy-status"},
		{[]string{"proxy-config", "--help"}, "usage: sailctl proxy-config"},
		{[]string{"dashboard", "--help"}, "usage: sailctl dashboard"},
		{[]string{"x", "impact", "--help"}, "usage: sailctl x impact"},
		{[]string{"proxy-config", "route", "reviews", "-h"}, "usage: sailctl proxy-config"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, &stdout, &stderr)
		if code != 0 || !strings.HasPrefix(stdout.String(), tc.want) || stderr.Len() != 0 {
			t.Errorf("sailctl %s: exit %d, stdout %.60q, stderr %q; want exit 0 and %q on stdout only",
				strings.Join(tc.args, " "), code, stdout.String(), stderr.String(), tc.want)
		}
	}
	var stdout, stderr bytes.Buffer
	run([]string{"kube-inject", "--help"}, &stdout, &stderr)
	if !strings.Contains(stdout.String(), "-native-sidecars") {
		t.Errorf("kube-inject --help does not list its flags:\n%s", stdout.String())
	}
}

// Bad usage still fails, on stderr, with the usage to help.
func TestBadUsageFailsOnStderr(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"x", "bogus"}, `unknown command "x bogus"`},
		{[]string{"x", "translate"}, "-f and --proxy are required"},
		{[]string{"x", "translate", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"x", "call", "--count", "many"}, `invalid value "many"`},
		{[]string{"kube-inject"}, "-f is required"},
		{[]string{"proxy-status", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"proxy-status", "extra"}, "takes no arguments"},
		{[]string{"dashboard", "extra"}, "takes no arguments"},
		{[]string{"x", "impact"}, "-f FILE is required"},
		{[]string{"proxy-config"}, "want a config kind and a pod"},
		{[]string{"proxy-config", "route", "reviews", "-o"}, "flag needs an argument"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, &stdout, &stderr)
		if code != 2 || stdout.Len() != 0 || !strings.Contains(stderr.String(), tc.want) || !strings.Contains(stderr.String(), "usage: sailctl") {
			t.Errorf("sailctl %s: exit %d, stdout %q, stderr %q; want exit 2 and %q with the usage on stderr",
				strings.Join(tc.args, " "), code, stdout.String(), stderr.String(), tc.want)
		}
	}
}
