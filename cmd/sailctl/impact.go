package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sailplane/sailplane/internal/console"
)

const impactUsage = `usage: sailctl x impact -f FILE [--monitoring-address HOST:PORT] [--token T | --kubeconfig F --namespace NS]

Which connected proxies would get new configuration if FILE were applied,
which resources change and how many bytes each would be pushed, and the
problems the change would raise: the control plane translates its current
inputs with FILE's objects in place of (or added to) the current ones.
Nothing is applied.

Flags:
`

// impactCmd: sailctl x impact
func impactCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sailctl x impact", flag.ContinueOnError)
	flags := addDebugFlags(fs)
	file := fs.String("f", "", "the change: YAML or JSON manifests")
	if code, ok := parseFlags(fs, impactUsage, args, stdout, stderr); !ok {
		return code
	}
	if *file == "" || fs.NArg() > 0 {
		return usageError(fs, impactUsage, stderr, "sailctl x impact: -f FILE is required, and nothing else")
	}
	change, err := os.ReadFile(*file)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	c, err := flags.client()
	var imp console.Impact
	if err == nil {
		imp, err = console.AskImpact(c.Addr, c.Token, change)
	}
	if err == nil {
		err = console.WriteImpact(stdout, imp)
	}
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}
