package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sailplane/sailplane/controllers"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/translate"
)

const authzUsage = `usage: sailctl x authz check [-f FILE ... | --kubeconfig F] --from POD[.NAMESPACE] --to POD[.NAMESPACE][:PORT]
         [--method GET] [--path /x] [--host HOST] [--header NAME=VALUE ...] [--claims JSON] [--tcp]

Says whether the destination's proxy allows the request, and by which
AuthorizationPolicy rule, by running it through the RBAC filters of the
configuration the proxy gets from these manifests (offline, -f) or from
what the cluster holds (without -f: the kubeconfig's cluster, read with
its credentials, as the control plane reads it). The client
calls through its sidecar over mutual TLS (its identity is its service
account's SPIFFE id) unless --mtls=false; --claims is the payload of a JWT the
destination verified. Exits 0 when allowed, 1 when denied or on error.

Flags:
`

type headerList map[string]string

func (h headerList) String() string { return fmt.Sprint(map[string]string(h)) }
func (h headerList) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	h[strings.ToLower(k)] = v
	return nil
}

func authzCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprint(stderr, "sailctl x authz: want the check subcommand\n"+authzUsage)
		return 2
	}
	fs := flag.NewFlagSet("sailctl x authz check", flag.ContinueOnError)
	var files fileList
	headers := headerList{}
	fs.Var(&files, "f", "manifest file (YAML or JSON, multi-document); repeatable")
	from := fs.String("from", "", "the calling pod, POD.NAMESPACE")
	to := fs.String("to", "", "the destination pod and port, POD.NAMESPACE[:PORT]")
	q := translate.AuthzQuery{}
	fs.StringVar(&q.Method, "method", "GET", "HTTP method")
	fs.StringVar(&q.Path, "path", "/", "request path")
	fs.StringVar(&q.Host, "host", "", "request host (authority)")
	fs.Var(headers, "header", "request header NAME=VALUE; repeatable")
	claims := fs.String("claims", "", "payload of a verified JWT, as JSON (e.g. {\"iss\":\"https://issuer\",\"sub\":\"alice\"})")
	fs.BoolVar(&q.TCP, "tcp", false, "a TCP connection rather than an HTTP request")
	kubeconfig := fs.String("kubeconfig", "", "without -f: the cluster to read (default $KUBECONFIG, ~/.kube/config)")
	fs.BoolVar(&q.MTLS, "mtls", true, "the client calls through its sidecar over mutual TLS; --mtls=false for a client without one (plaintext)")
	if code, ok := parseFlags(fs, authzUsage, args[1:], stdout, stderr); !ok {
		return code
	}
	if *from == "" || *to == "" {
		return usageError(fs, authzUsage, stderr, "sailctl x authz check: --from and --to are required")
	}
	dest, port, err := splitPort(*to)
	if err != nil {
		return usageError(fs, authzUsage, stderr, "sailctl x authz check: --to: "+err.Error())
	}
	q.From, q.To, q.Port, q.Headers = translate.ParseProxy(*from), translate.ParseProxy(dest), port, headers
	if *claims != "" {
		if err := json.Unmarshal([]byte(*claims), &q.Claims); err != nil {
			return usageError(fs, authzUsage, stderr, "sailctl x authz check: --claims: "+err.Error())
		}
	}
	b, err := authzInput(files, *kubeconfig, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	v, err := translate.CheckAuthz(b, q)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	printVerdict(stdout, v)
	if !v.Allowed {
		return 1
	}
	return 0
}

func printVerdict(w io.Writer, v translate.AuthzVerdict) {
	fmt.Fprintln(w, v)
	transport := "plaintext"
	if v.MTLS {
		transport = "mutual TLS"
	}
	fmt.Fprintf(w, "  filter chain %s (%s)\n", v.Chain, transport)
	for _, a := range v.Audited {
		fmt.Fprintf(w, "  audited by %s\n", a)
	}
}

// splitPort reads POD.NAMESPACE[:PORT].
func splitPort(s string) (string, uint32, error) {
	name, p, ok := strings.Cut(s, ":")
	if !ok {
		return s, 0, nil
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil || n == 0 {
		return "", 0, fmt.Errorf("port %q: want 1-65535", p)
	}
	return name, uint32(n), nil
}

// authzInput reads the manifests, or without any the cluster's objects.
func authzInput(files []string, kubeconfig string, stderr io.Writer) (*bundle.Bundle, error) {
	if len(files) > 0 {
		b, unsupported, err := translate.Load(files)
		for _, u := range unsupported {
			fmt.Fprintln(stderr, "unsupported:", u)
		}
		return b, err
	}
	c, err := meshClient(kubeconfig)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return controllers.Collect(ctx, c)
}
