package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sailplane/sailplane/controllers"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/describe"
	"github.com/sailplane/sailplane/internal/translate"
)

const describeUsage = `usage: sailctl x describe pod POD[.NAMESPACE] [-f FILE ...] [--kubeconfig F]

The pod's mutual TLS: for each port it serves, the mode its proxy enforces
and which PeerAuthentication decided it (port, workload, namespace, mesh or
Istio's default PERMISSIVE); whether its probes get through; and for each
outbound cluster whether it originates mTLS (auto or ISTIO_MUTUAL) and why.
With -f it reads manifests offline, as x translate does; without, it reads
the cluster the kubeconfig points at (never its Secrets).

Flags:
`

// describeCmd: sailctl x describe pod POD[.NS] [-f FILE ...]
func describeCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sailctl x describe pod", flag.ContinueOnError)
	var files fileList
	fs.Var(&files, "f", "manifest file (YAML or JSON, multi-document); repeatable; none: read the cluster")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the cluster to read without -f (default $KUBECONFIG, ~/.kube/config)")
	if wantsHelp(args) {
		printUsage(fs, describeUsage, stdout)
		return 0
	}
	if len(args) < 2 || args[0] != "pod" || args[1] == "" || args[1][0] == '-' {
		return usageError(fs, describeUsage, stderr, "sailctl x describe: want `pod POD[.NAMESPACE]`")
	}
	pod := translate.ParseProxy(args[1])
	if code, ok := parseFlags(fs, describeUsage, args[2:], stdout, stderr); !ok {
		return code
	}
	var b *bundle.Bundle
	var err error
	if len(files) > 0 {
		var unsupported []bundle.Unsupported
		b, unsupported, err = translate.Load(files)
		for _, u := range unsupported {
			fmt.Fprintln(stderr, "warning:", u)
		}
	} else {
		b, err = clusterBundle(*kubeconfig)
	}
	if err == nil {
		err = describePod(b, pod, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

func describePod(b *bundle.Bundle, ref types.NamespacedName, stdout io.Writer) error {
	var pod *corev1.Pod
	for i := range b.Pods {
		if b.Pods[i].Namespace == ref.Namespace && b.Pods[i].Name == ref.Name {
			pod = &b.Pods[i]
		}
	}
	res, err := translate.Run(b, ref)
	if err != nil {
		return err
	}
	if pod == nil {
		return fmt.Errorf("pod %s: not in the input", ref)
	}
	return describe.Pod(res, pod).Write(stdout)
}

// clusterBundle reads the mesh from the API server, as the control plane's
// informers would, except Secrets: mTLS does not depend on them, and a
// describe should need no right to read keys.
func clusterBundle(kubeconfig string) (*bundle.Bundle, error) {
	c, err := meshClient(kubeconfig)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return controllers.Collect(ctx, noSecrets{c})
}

// noSecrets lists no Secrets and reads the rest through.
type noSecrets struct{ client.Reader }

func (r noSecrets) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if _, ok := list.(*corev1.SecretList); ok {
		return nil
	}
	return r.Reader.List(ctx, list, opts...)
}
