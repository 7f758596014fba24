// Command sailplane-init is sailplane's istio-iptables: run as the
// istio-init container of an injected pod, it redirects the pod's TCP
// traffic to the sidecar (outbound to -p, inbound to -z). It takes Istio's
// flags; the rules themselves come from internal/iptables.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sailplane/sailplane/internal/iptables"
)

// ifInet6 lists the namespace's IPv6 addresses; it is absent when the
// kernel has IPv6 disabled.
const ifInet6 = "/proc/net/if_inet6"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, system{}))
}

// env is what run needs from the machine, so tests can fake it.
type env interface {
	iptables.Runner
	ReadFile(name string) ([]byte, error)
}

// settings are the flags of this command that are not istio-iptables'.
type settings struct {
	dryRun  bool
	backend string
	ipv6    string
}

// run is main without the process: it returns the exit status, 2 for bad
// flags (nothing touched), 1 when applying failed.
func run(args []string, stdout, stderr io.Writer, e env) int {
	opts := iptables.DefaultOptions()
	var s settings
	fs := flag.NewFlagSet("sailplane-init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts.Register(fs)
	fs.BoolVar(&s.dryRun, "dry-run", false, "print the rules of both families and change nothing")
	fs.BoolVar(&s.dryRun, "n", false, "same as --dry-run")
	fs.StringVar(&s.backend, "iptables-backend", string(iptables.BackendAuto),
		"auto (the backend already holding rules, else the image default), default, legacy or nft")
	fs.StringVar(&s.ipv6, "ipv6", "auto", "write IPv6 rules: auto (when the pod has a global IPv6 address), true or false")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	cfg, backend, err := validate(fs, opts, s)
	if err != nil {
		fmt.Fprintf(stderr, "sailplane-init: %v\n", err)
		return 2
	}
	if s.dryRun {
		fmt.Fprint(stdout, iptables.DryRun(cfg))
		return 0
	}
	families := []iptables.Family{iptables.IPv4}
	if wantIPv6(s.ipv6, e) {
		families = append(families, iptables.IPv6)
	}
	logged := loggingRunner{Runner: e, out: stdout}
	backend = iptables.ResolveBackend(backend, e)
	fmt.Fprintf(stdout, "sailplane-init: iptables backend %s, families %v\n", backend, families)
	if err := iptables.Apply(cfg, backend, families, logged); err != nil {
		fmt.Fprintf(stderr, "sailplane-init: %v\n", err)
		return 1
	}
	return 0
}

// validate checks every flag before anything runs.
func validate(fs *flag.FlagSet, opts iptables.Options, s settings) (iptables.Config, iptables.Backend, error) {
	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q (values with spaces or '*' need quotes)", fs.Args()))
	}
	cfg, err := opts.Config()
	errs = append(errs, err)
	backend, err := iptables.ParseBackend(s.backend)
	errs = append(errs, err)
	switch s.ipv6 {
	case "auto", "true", "false":
	default:
		errs = append(errs, fmt.Errorf("flag --ipv6 %q: want auto, true or false", s.ipv6))
	}
	return cfg, backend, errors.Join(errs...)
}

func wantIPv6(mode string, e env) bool {
	if mode != "auto" {
		return mode == "true"
	}
	b, err := e.ReadFile(ifInet6)
	return err == nil && iptables.HasGlobalIPv6(string(b))
}
