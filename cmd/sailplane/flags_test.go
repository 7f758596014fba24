package main

import (
	"slices"
	"testing"
)

func TestParseFlagsLocalDefaults(t *testing.T) {
	o, err := parseFlags([]string{"--local", "--local-apply", "a.yaml,dir", "--local-apply=b.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if o.manager.WebhookAddress != "" {
		t.Errorf("local mode webhook address %q, want off", o.manager.WebhookAddress)
	}
	if o.manager.LeaderElect {
		t.Error("local mode elects a leader by default")
	}
	if want := []string{"a.yaml", "dir", "b.yaml"}; !slices.Equal(o.localApply, want) {
		t.Errorf("--local-apply = %v, want %v", o.localApply, want)
	}
}

func TestParseFlagsExplicitValuesWin(t *testing.T) {
	t.Setenv(podNamespaceEnv, "from-env")
	o, err := parseFlags([]string{"--local", "--webhook-address=:9443", "--leader-elect"})
	if err != nil {
		t.Fatal(err)
	}
	m := o.manager
	if m.WebhookAddress != ":9443" || !m.LeaderElect || m.Namespace != "from-env" {
		t.Errorf("got webhook %q leaderElect %v namespace %q", m.WebhookAddress, m.LeaderElect, m.Namespace)
	}
}

func TestParseFlagsClusterDefaults(t *testing.T) {
	t.Setenv(podNamespaceEnv, "")
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	m := o.manager
	if m.XDSAddress != ":15010" || m.MonitoringAddress != ":15014" || m.WebhookAddress != ":15017" ||
		m.Namespace != "sailplane-system" {
		t.Errorf("defaults %+v, want Istio's ports and sailplane-system", m)
	}
}

func TestParseFlagsRejects(t *testing.T) {
	for _, args := range [][]string{
		{"--local", "--kubeconfig=/tmp/k"},
		{"--local-apply=x.yaml"},
		{"stray"},
		{"--no-such-flag"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q) gave no error", args)
		}
	}
}
