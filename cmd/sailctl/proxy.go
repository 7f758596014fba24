package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/proxystatus"
	"github.com/sailplane/sailplane/internal/xdsserver"
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

// debugFlags are the flags of the commands that read the debug endpoints.
type debugFlags struct {
	addr, token, kubeconfig, namespace *string
}

func addDebugFlags(fs *flag.FlagSet) debugFlags {
	return debugFlags{
		addr:       monitoringFlag(fs),
		token:      fs.String("token", os.Getenv(proxystatus.TokenEnv), "bearer token for the debug endpoints ($"+proxystatus.TokenEnv+"); default: the kubeconfig's, else one requested for ServiceAccount "+defaults.SailctlServiceAccount),
		kubeconfig: fs.String("kubeconfig", "", "kubeconfig to take credentials from (default $KUBECONFIG, ~/.kube/config)"),
		namespace:  fs.String("namespace", defaults.ControlPlaneNamespace, "the control plane's namespace (holds ServiceAccount "+defaults.SailctlServiceAccount+")"),
	}
}

// client finds the token and returns a client for the debug endpoints.
func (f debugFlags) client() (proxystatus.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	token, err := proxystatus.Token(ctx, proxystatus.TokenOptions{Explicit: *f.token, Kubeconfig: *f.kubeconfig, Namespace: *f.namespace})
	return proxystatus.Client{Addr: *f.addr, Token: token}, err
}

const proxyStatusUsage = `usage: sailctl proxy-status [--monitoring-address HOST:PORT] [--token T | --kubeconfig F --namespace NS]

Every connected proxy: SYNCED, STALE or NACKED per xDS type.

Flags:
`

const proxyConfigUsage = `usage: sailctl proxy-config listener|route|cluster|endpoint|tracing|log|all POD[.NAMESPACE] [-o short|json]

One proxy's configuration, from the control plane.

Both commands send a bearer token: --token or $SAILPLANE_TOKEN, else the
kubeconfig's, else one requested for ServiceAccount sailctl in --namespace
(default sailplane-system) with the kubeconfig's credentials.

Flags:
`

// proxyStatusCmd: sailctl proxy-status
func proxyStatusCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sailctl proxy-status", flag.ContinueOnError)
	flags := addDebugFlags(fs)
	if code, ok := parseFlags(fs, proxyStatusUsage, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(fs, proxyStatusUsage, stderr, "sailctl proxy-status: takes no arguments")
	}
	c, err := flags.client()
	var proxies []xdsserver.ProxyStatus
	if err == nil {
		proxies, err = c.Fetch()
	}
	if err == nil {
		err = proxystatus.WriteStatus(stdout, proxies)
	}
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

// proxyConfigCmd: sailctl proxy-config listener|route|cluster|endpoint|tracing|log|all POD[.NS] [-o json]
func proxyConfigCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sailctl proxy-config", flag.ContinueOnError)
	flags := addDebugFlags(fs)
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
	c, err := flags.client()
	var raw []byte
	if err == nil {
		raw, err = c.ConfigDump(podRef(proxy))
	}
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
