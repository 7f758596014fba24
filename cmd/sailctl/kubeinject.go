package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sailplane/sailplane/internal/inject"
)

const kubeInjectUsage = `usage: sailctl kube-inject -f FILE|- [-o FILE] [injection flags]

Injects istio-init and istio-proxy into every Pod, Deployment, StatefulSet,
DaemonSet, ReplicaSet, ReplicationController, Job and CronJob (Lists
included) of a multi-document YAML manifest, as the webhook would with the
same flags, like istioctl kube-inject:

  kubectl apply -f <(sailctl kube-inject -f deployment.yaml)

Flags:
`

// kubeInjectCmd is manual injection; the work is inject.InjectManifests.
func kubeInjectCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sailctl kube-inject", flag.ContinueOnError)
	file := fs.String("f", "", "manifest to inject (YAML, multi-document); - reads standard input")
	output := fs.String("o", "", "write the injected manifest to this file instead of standard output")
	namespace := fs.String("namespace", inject.DefaultControlPlaneNamespace,
		"the control plane's namespace (the proxies' default xDS address is sailplane.<namespace>.svc:15012)")
	settings := inject.DefaultSettings()
	settings.BindFlags(fs)
	if code, ok := parseFlags(fs, kubeInjectUsage, args, stdout, stderr); !ok {
		return code
	}
	if *file == "" || fs.NArg() > 0 {
		return usageError(fs, kubeInjectUsage, stderr, "sailctl kube-inject: -f is required and takes no other arguments")
	}
	settings = settings.Complete(*namespace)
	if err := settings.Validate(); err != nil {
		fmt.Fprintln(stderr, "error: injection settings:", err)
		return 2
	}
	in, err := readInput(*file)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	out, reports, err := inject.InjectManifests(bytes.NewReader(in), settings)
	if err != nil {
		fmt.Fprintf(stderr, "error: %s: %v\n", *file, err)
		return 1
	}
	for _, r := range reports {
		fmt.Fprintf(stderr, "%s: %s\n", r.Object, r.Status)
	}
	if *output == "" {
		_, _ = stdout.Write(out)
		return 0
	}
	if err := os.WriteFile(*output, out, 0o644); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

func readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, fmt.Errorf("%s is empty", name)
	}
	return b, nil
}
