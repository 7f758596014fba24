// Command sailplane is the control plane: it watches Istio's traffic API and
// serves Envoy over ADS. This file is flags and wiring only; the work lives
// in internal/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/sailplane/sailplane/internal/manager"
	"github.com/sailplane/sailplane/webhook"
)

func main() {
	opts, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		os.Exit(2) // parseFlags has printed the error
	}
	log := zap.New(zap.UseFlagOptions(&opts.zap))
	ctrl.SetLogger(log)
	klog.SetLogger(log) // client-go's own messages, in the same format
	if err := run(ctrl.SetupSignalHandler(), opts, log); err != nil {
		log.Error(err, "sailplane stopped with an error")
		os.Exit(1)
	}
}

// run connects to the API server (or starts the local one), then runs the
// manager until ctx ends.
func run(ctx context.Context, opts *options, log logr.Logger) (err error) {
	cfg, stop, err := connect(ctx, opts, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stop()) }()
	mgr, err := manager.New(cfg, opts.manager, log)
	if err != nil {
		return err
	}
	if err := webhook.Register(ctx, mgr, opts.webhookOptions(), log.WithName("webhook")); err != nil {
		return err
	}
	m := opts.manager
	log.Info("starting sailplane", "xdsAddress", m.XDSAddress, "xdsSecureAddress", m.XDSSecureAddress, "monitoringAddress", m.MonitoringAddress,
		"webhookAddress", m.WebhookAddress, "namespace", m.Namespace, "leaderElect", m.LeaderElect)
	return mgr.Start(ctx)
}

// connect returns the REST config to use and a function that releases
// whatever connect started.
func connect(ctx context.Context, opts *options, log logr.Logger) (*rest.Config, func() error, error) {
	if opts.local {
		return startLocal(ctx, opts, log.WithName("local"))
	}
	cfg, err := clusterConfig(opts.kubeconfig)
	return cfg, func() error { return nil }, err
}

// clusterConfig reads --kubeconfig when given; otherwise controller-runtime's
// usual order applies (in-cluster, $KUBECONFIG, ~/.kube/config).
func clusterConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig == "" {
		return ctrl.GetConfig()
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig %s: %w", kubeconfig, err)
	}
	return cfg, nil
}
