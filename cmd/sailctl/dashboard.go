package main

import (
	"flag"
	"fmt"
	"io"
	"os/exec"

	"github.com/sailplane/sailplane/internal/console"
)

const dashboardUsage = `usage: sailctl dashboard [--monitoring-address HOST:PORT] [--token T | --kubeconfig F --namespace NS] [--open]

The mesh console (Graph, Config, Proxies) in the browser: checks that the
control plane answers with the token, then prints the console's URL with
the token in its fragment (which the browser never sends to a server).
The token is the one proxy-status would send (a requested one lasts ten
minutes; reopen the dashboard for a new one).

Flags:
`

// dashboardCmd: sailctl dashboard
func dashboardCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sailctl dashboard", flag.ContinueOnError)
	flags := addDebugFlags(fs)
	open := fs.Bool("open", false, "also open the URL with xdg-open")
	if code, ok := parseFlags(fs, dashboardUsage, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(fs, dashboardUsage, stderr, "sailctl dashboard: takes no arguments")
	}
	c, err := flags.client()
	if err == nil {
		err = console.Check(c.Addr, c.Token)
	}
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	u := console.URL(c.Addr, c.Token)
	fmt.Fprintln(stdout, u)
	if *open {
		if err := exec.Command("xdg-open", u).Start(); err != nil {
			fmt.Fprintln(stderr, "cannot open a browser (xdg-open): "+err.Error()+"; open the URL above")
		}
	}
	return 0
}
