package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sailplane/sailplane/internal/proxystatus"
)

// defaultMonitoring is where `sailplane --local` serves its debug endpoints.
const defaultMonitoring = "127.0.0.1:15014"

func monitoringFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("SAILPLANE_MONITORING_ADDRESS")
	if def == "" {
		def = defaultMonitoring
	}
	return fs.String("monitoring-address", def, "the control plane's monitoring port ($SAILPLANE_MONITORING_ADDRESS)")
}

// proxyStatusCmd: sailctl proxy-status
func proxyStatusCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sailctl proxy-status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := monitoringFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	proxies, err := proxystatus.Fetch(*addr)
	if err == nil {
		err = proxystatus.WriteStatus(stdout, proxies)
	}
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

// proxyConfigCmd: sailctl proxy-config listener|route|cluster|endpoint|all POD[.NS] [-o json]
func proxyConfigCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sailctl proxy-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := monitoringFlag(fs)
	output := fs.String("o", "short", "short (a table) or json (the config dump)")
	if len(args) < 2 {
		fmt.Fprintln(stderr, "usage: sailctl proxy-config listener|route|cluster|endpoint|all POD[.NAMESPACE] [-o short|json]")
		return 2
	}
	kind, proxy := args[0], args[1]
	if err := fs.Parse(args[2:]); err != nil {
		return 2
	}
	raw, err := proxystatus.ConfigDump(*addr, podRef(proxy))
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	if *output == "json" || kind == "all" {
		_, _ = stdout.Write(raw)
		return 0
	}
	if err := proxystatus.WriteConfig(stdout, raw, kind); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

// podRef defaults the namespace as kubectl does.
func podRef(s string) string {
	for _, c := range s {
		if c == '.' || c == '~' {
			return s
		}
	}
	return s + ".default"
}
