// Command sailctl is sailplane's CLI, shaped after istioctl.
//
//	sailctl x translate -f FILE [-f FILE ...] --proxy POD.NAMESPACE [--generator grpc] [--mesh-namespace NS] [--show telemetry|ratelimit] [-o json|yaml]
//	sailctl x describe pod POD[.NAMESPACE] [-f FILE ...]
//	sailctl x authz check [-f FILE ...] --from POD.NAMESPACE --to POD.NAMESPACE[:PORT] [--method M] [--path P]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sailplane/sailplane/internal/configdump"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/translate"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) >= 1 && args[0] == "kube-inject" {
		return kubeInjectCmd(args[1:], stdout, stderr)
	}
	if len(args) >= 2 && args[0] == "x" && args[1] == "translate" {
		return translateCmd(args[2:], stdout, stderr)
	}
	if len(args) >= 2 && args[0] == "x" && args[1] == "describe" {
		return describeCmd(args[2:], stdout, stderr)
	}
	if len(args) >= 2 && args[0] == "x" && args[1] == "authz" {
		return authzCmd(args[2:], stdout, stderr)
	}
	if len(args) >= 2 && args[0] == "x" && args[1] == "call" {
		return callCmd(args[2:], stdout, stderr)
	}
	if len(args) >= 2 && args[0] == "x" && args[1] == "impact" {
		return impactCmd(args[2:], stdout, stderr)
	}
	if len(args) >= 1 && args[0] == "proxy-status" {
		return proxyStatusCmd(args[1:], stdout, stderr)
	}
	if len(args) >= 1 && args[0] == "dashboard" {
		return dashboardCmd(args[1:], stdout, stderr)
	}
	if len(args) >= 1 && args[0] == "proxy-config" {
		return proxyConfigCmd(args[1:], stdout, stderr)
	}
	// Help, asked for or implied (no command, or `x` alone), goes to
	// stdout and succeeds, as in kubectl and istioctl; an unknown command
	// is bad usage.
	if len(args) == 0 || isHelp(args[0]) || (args[0] == "x" && (len(args) == 1 || isHelp(args[1]))) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "sailctl: unknown command %q\n%s", strings.Join(args, " "), usage)
	return 2
}

type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(s string) error { *f = append(*f, s); return nil }

func translateCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sailctl x translate", flag.ContinueOnError)
	var files fileList
	fs.Var(&files, "f", "manifest file (YAML or JSON, multi-document); repeatable")
	proxy := fs.String("proxy", "", "the pod to translate for, as POD.NAMESPACE")
	output := fs.String("o", "json", "output format: json or yaml (Envoy's admin ConfigDump)")
	generator := fs.String("generator", "", "grpc: translate for a proxyless gRPC client in the pod (node metadata GENERATOR: grpc) instead of its Envoy, as the plaintext xDS port serves it; grpc-mtls: one holding a certificate (authenticated port), with mutual TLS")
	show := fs.String("show", "", "telemetry: print the proxy's effective tracing and access logs and the objects that set them, instead of its config dump; ratelimit: its effective rate limits")
	meshNamespace := fs.String("mesh-namespace", defaults.ControlPlaneNamespace, "the control plane's namespace: its ConfigMap istio among the manifests is the mesh configuration")
	if code, ok := parseFlags(fs, translateUsage, args, stdout, stderr); !ok {
		return code
	}
	if len(files) == 0 || *proxy == "" {
		return usageError(fs, translateUsage, stderr, "sailctl x translate: -f and --proxy are required")
	}
	runFor := translate.Run
	switch *generator {
	case "":
	case "grpc":
		runFor = translate.RunProxyless
	case "grpc-mtls":
		runFor = translate.RunProxylessMTLS
	default:
		return usageError(fs, translateUsage, stderr, fmt.Sprintf("sailctl x translate: --generator %q: want grpc, grpc-mtls or nothing", *generator))
	}
	b, unsupported, err := translate.LoadIn(files, *meshNamespace)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	for _, u := range unsupported {
		fmt.Fprintln(stderr, "unsupported:", u)
	}
	res, err := runFor(b, translate.ParseProxy(*proxy))
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	for _, line := range res.Model.Status.Lines() {
		fmt.Fprintln(stderr, "problem:", line)
	}
	switch *show {
	case "":
	case "telemetry":
		fmt.Fprint(stdout, translate.TelemetryReport(res))
		return 0
	case "ratelimit":
		fmt.Fprint(stdout, translate.RateLimitReport(res))
		return 0
	default:
		return usageError(fs, translateUsage, stderr, fmt.Sprintf("sailctl x translate: --show %q: want telemetry, ratelimit or nothing", *show))
	}
	return printDump(res, *output, stdout, stderr)
}

func printDump(res *translate.Result, format string, stdout, stderr io.Writer) int {
	dump, err := configdump.Build(res.Resources, "offline")
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	var out []byte
	switch format {
	case "json":
		out, err = configdump.JSON(dump)
	case "yaml":
		out, err = configdump.YAML(dump)
	default:
		fmt.Fprintf(stderr, "error: -o %q: want json or yaml\n", format)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	_, _ = stdout.Write(out)
	return 0
}

const translateUsage = `usage: sailctl x translate -f FILE [-f FILE ...] --proxy POD.NAMESPACE [--generator grpc|grpc-mtls] [--mesh-namespace NS] [--show telemetry|ratelimit] [-o json|yaml]

Translates manifests offline into one proxy's config dump: its Envoy's, or
with --generator grpc what a proxyless gRPC client in the pod gets (with
grpc-mtls: one holding a certificate, on the authenticated port). A
ConfigMap istio in --mesh-namespace (default sailplane-system) among the
manifests is the mesh configuration, as in the cluster. Problems go to
stderr.

Flags:
`

const usage = `usage: sailctl COMMAND
  x translate -f FILE [-f FILE ...] --proxy POD.NAMESPACE [--generator grpc] [--mesh-namespace NS] [--show telemetry|ratelimit] [-o json|yaml]
                 translate manifests offline into one proxy's config dump (its
                 Envoy's, or with --generator grpc a proxyless gRPC client's)
  x describe pod POD[.NAMESPACE] [-f FILE ...]
                 which mTLS mode each of the pod's ports enforces and why, its
                 probes, and which outbound clusters originate mTLS (offline
                 with -f, else from the cluster)
  x authz check [-f FILE ...] --from POD.NAMESPACE --to POD.NAMESPACE[:PORT] [--method M] [--path P]
                 whether the destination's proxy allows the request, and by which
                 AuthorizationPolicy rule (over its generated RBAC; from the
                 manifests, or without -f from the kubeconfig's cluster)
  kube-inject -f FILE
                 add the sidecar to the workloads in FILE, as the webhook would
  x call [xds:///HOST:PORT] [--count N]
                 call a gRPC service through xDS as a proxyless client (local demo)
  proxy-status   every connected proxy and whether it has the latest config
  proxy-config listener|route|cluster|endpoint|tracing|log|all POD[.NAMESPACE] [-o json]
                 one proxy's config, from the control plane
  x impact -f FILE
                 which proxies, resources and bytes applying FILE would change
                 (nothing is applied)
  dashboard [--open]
                 the mesh console in the browser: prints its URL with a token
  proxy-status, proxy-config, dashboard and x impact send a bearer token: --token or $SAILPLANE_TOKEN,
  else the kubeconfig's, else one requested for ServiceAccount sailctl in
  --namespace (default sailplane-system) with the kubeconfig's credentials

sailctl COMMAND --help shows a command's flags.
`
