package xds

import (
	"strings"
	"testing"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/meshconfig"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

const zipkinMesh = `
accessLogFile: /dev/stdout
extensionProviders:
- name: zipkin
  zipkin: {service: zipkin.observability.svc.cluster.local, port: 9411}
- name: als
  envoyOtelAls: {service: otel.observability.svc.cluster.local, port: 4317}
defaultProviders:
  tracing: [zipkin]
  accessLogging: [als]
`

func telemetryModel(t *testing.T, meshYAML string) (*model.Model, Proxy) {
	t.Helper()
	b := &bundle.Bundle{}
	if _, err := b.Decode("test.yaml", strings.NewReader(mesh)); err != nil {
		t.Fatal(err)
	}
	c, err := meshconfig.Parse("ConfigMap sailplane-system/istio", meshYAML)
	if err != nil {
		t.Fatal(err)
	}
	b.Mesh = c
	m := model.Build(b)
	w := m.Pods[typesNN("default", "reviews-v1")]
	return m, Proxy{Type: names.Sidecar, Namespace: "default", Labels: w.Labels, IP: w.IP, Workload: w}
}

func TestEveryConnectionManagerAndTCPProxyGetsTelemetry(t *testing.T) {
	m, p := telemetryModel(t, zipkinMesh)
	r := Generate(m, p)
	var hcms, tcps int
	for _, l := range r.Listeners {
		for _, fc := range chainsOf(l) {
			for _, f := range fc.GetFilters() {
				switch f.Name {
				case names.HTTPConnectionManagerFilter:
					var h hcmv3.HttpConnectionManager
					if err := f.GetTypedConfig().UnmarshalTo(&h); err != nil {
						t.Fatal(err)
					}
					hcms++
					if h.GetTracing().GetProvider().GetName() != names.ZipkinTracer || h.GetTracing().GetRandomSampling().GetValue() != 1 {
						t.Errorf("listener %s: tracing %v, want zipkin at Istio's 1%%", l.Name, h.GetTracing())
					}
					if len(h.GetAccessLog()) != 2 {
						t.Errorf("listener %s: %d access logs, want file and OpenTelemetry", l.Name, len(h.GetAccessLog()))
					}
				case names.TCPProxyFilter:
					var tp tcpv3.TcpProxy
					if err := f.GetTypedConfig().UnmarshalTo(&tp); err != nil {
						t.Fatal(err)
					}
					tcps++
					if len(tp.GetAccessLog()) != 2 {
						t.Errorf("listener %s: tcp_proxy has %d access logs, want 2", l.Name, len(tp.GetAccessLog()))
					}
				}
			}
		}
	}
	if hcms == 0 || tcps == 0 {
		t.Fatalf("want connection managers and TCP proxies to check, got %d and %d", hcms, tcps)
	}
	for _, e := range CheckConsistency(r) {
		t.Error(e)
	}
}

func TestTelemetryCopiesSharedListeners(t *testing.T) {
	m, p := telemetryModel(t, zipkinMesh)
	halves := Combine(GenerateOutbound(m, p), GenerateInbound(m, p))
	before := make([]proto.Message, len(halves.Listeners))
	for i, l := range halves.Listeners {
		before[i] = proto.Clone(l)
	}
	withTelemetry := WithTelemetry(m, p, halves)
	for i, l := range halves.Listeners {
		if !proto.Equal(before[i], l) {
			t.Fatalf("listener %s of the shared translation was changed", l.Name)
		}
	}
	if proto.Equal(withTelemetry.Listeners[0], halves.Listeners[0]) {
		t.Fatal("the copy did not get telemetry")
	}
}

func TestConsistencyNoticesAMissingCollectorCluster(t *testing.T) {
	m, p := telemetryModel(t, zipkinMesh)
	r := Generate(m, p)
	for _, drop := range []string{
		names.TelemetryCluster(9411, "zipkin.observability.svc.cluster.local"),
		names.TelemetryCluster(4317, "otel.observability.svc.cluster.local"),
	} {
		cut := *r
		cut.Clusters = nil
		for _, c := range r.Clusters {
			if c.Name != drop {
				cut.Clusters = append(cut.Clusters, c)
			}
		}
		if len(cut.Clusters) == len(r.Clusters) {
			t.Fatalf("no cluster %s to drop", drop)
		}
		found := false
		for _, e := range CheckConsistency(&cut) {
			found = found || strings.Contains(e.Error(), drop+"\" missing")
		}
		if !found {
			t.Errorf("dropping %s went unnoticed", drop)
		}
	}
}

func TestNoProviderNoChange(t *testing.T) {
	m, p := telemetryModel(t, "enableTracing: true")
	halves := Combine(GenerateOutbound(m, p), GenerateInbound(m, p))
	if got := WithTelemetry(m, p, halves); got != halves {
		t.Error("Istio's defaults (no provider, no log file) must leave the config as it is")
	}
}

// BenchmarkWithTelemetry measures what tracing and two access logs add to
// one proxy's translation (go test -bench WithTelemetry ./internal/xds).
func BenchmarkWithTelemetry(b *testing.B) {
	bd := &bundle.Bundle{}
	if _, err := bd.Decode("test.yaml", strings.NewReader(mesh)); err != nil {
		b.Fatal(err)
	}
	c, err := meshconfig.Parse("ConfigMap sailplane-system/istio", zipkinMesh)
	if err != nil {
		b.Fatal(err)
	}
	bd.Mesh = c
	m := model.Build(bd)
	w := m.Pods[typesNN("default", "reviews-v1")]
	p := Proxy{Type: names.Sidecar, Namespace: "default", Labels: w.Labels, Workload: w}
	halves := Combine(GenerateOutbound(m, p), GenerateInbound(m, p))
	b.Run("halves", func(b *testing.B) {
		for b.Loop() {
			Combine(GenerateOutbound(m, p), GenerateInbound(m, p))
		}
	})
	b.Run("telemetry", func(b *testing.B) {
		for b.Loop() {
			WithTelemetry(m, p, halves)
		}
	})
}
