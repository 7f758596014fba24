package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

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

const proxyStatusUsage = `usage: sailctl proxy-status [--monitoring-address HOST:PORT]

Every connected proxy: SYNCED, STALE or NACKED per xDS type.

Flags:
`

const proxyConfigUsage = `usage: sailctl proxy-config listener|route|cluster|endpoint|all POD[.NAMESPACE] [-o short|json]

One proxy's configuration, from the control plane.

Flags:
`

// proxyStatusCmd: sailctl proxy-status
func proxyStatusCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sailctl proxy-status", flag.ContinueOnError)
	addr := monitoringFlag(fs)
	if code, ok := parseFlags(fs, proxyStatusUsage, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(fs, proxyStatusUsage, stderr, "sailctl proxy-status: takes no arguments")
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
	addr := monitoringFlag(fs)
	output := fs.String("o", "short", "short (a table) or json (the config dump)")
	// The kind and pod come before the flags, so -h may be anywhere.
	if wantsHelp(args) {
		printUsage(fs, proxyConfigUsage, stdout)
		return 0
	}
	if len(args) < 2 || strings.HasPrefix(args[0], "-") {
		return usageError(fs, proxyConfigUsage, stderr, "sailctl proxy-config: want a config kind and a pod")
	}
	kind, proxy := args[0], args[1]
	if code, ok := parseFlags(fs, proxyConfigUsage, args[2:], stdout, stderr); !ok {
		return code
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
