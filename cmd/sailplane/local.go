package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"

	"github.com/sailplane/sailplane/internal/demo"
	"github.com/sailplane/sailplane/internal/localenv"
)

const localHint = `
Local API server ready. Use it with kubectl:

  export KUBECONFIG=%s
  kubectl get virtualservices,destinationrules,gateways,serviceentries -A

The kubeconfig is removed when sailplane stops (Ctrl-C).

`

// startLocal runs the embedded API server, applies --local-apply and
// returns its config and its Stop.
func startLocal(ctx context.Context, opts *options, log logr.Logger) (*rest.Config, func() error, error) {
	log.Info("local mode: embedded API server, no cluster",
		"leaderElect", opts.manager.LeaderElect,
		"webhookServer", webhookState(opts.manager.WebhookAddress))
	env, err := localenv.Start(ctx, log, localenv.Options{Namespace: opts.manager.Namespace})
	if err != nil {
		return nil, nil, err
	}
	if len(opts.localApply) > 0 {
		if err := env.Apply(ctx, opts.localApply...); err != nil {
			return nil, nil, errors.Join(fmt.Errorf("--local-apply: %w", err), env.Stop())
		}
	}
	log.Info("local API server ready", "kubeconfig", env.KubeconfigPath())
	fmt.Fprintf(os.Stderr, localHint, env.KubeconfigPath())
	mesh, err := demo.Start(ctx, env.Config())
	if err != nil {
		return nil, nil, errors.Join(err, env.Stop())
	}
	fmt.Fprint(os.Stderr, mesh.Hint(env.KubeconfigPath(), demo.Addresses{XDS: opts.manager.XDSAddress, Monitoring: opts.manager.MonitoringAddress}))
	stop := func() error {
		mesh.Stop()
		return env.Stop()
	}
	return env.Config(), stop, nil
}

func webhookState(addr string) string {
	if addr == "" {
		return "off (no serving certificate in local mode; --webhook-address turns it on)"
	}
	return "on at " + addr
}
