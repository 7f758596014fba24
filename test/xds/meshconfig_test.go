package xds

import (
	"context"
	"strings"
	"testing"
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	telemetryv1 "github.com/sailplane/sailplane/api/telemetry/v1"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/test/envtestutil"
)

const meshWithSampling = `
extensionProviders:
- name: zipkin
  zipkin: {service: zipkin.meshcfg.svc.cluster.local, port: 9411}
defaultProviders:
  tracing: [zipkin]
defaultConfig:
  tracing: {sampling: SAMPLING}
`

// TestMeshConfigEditsReachConnectedProxies: ConfigMap istio in the control
// plane's namespace is read live. An edit of the sampling rate reaches a
// connected proxy's listeners; an edit that does not parse changes nothing
// for the proxy and is reported (Event, metric); the next good edit applies.
func TestMeshConfigEditsReachConnectedProxies(t *testing.T) {
	const ns = "meshcfg"
	createMesh(t, ns)
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "istio", Namespace: ns},
		Data:       map[string]string{"mesh": strings.ReplaceAll(meshWithSampling, "SAMPLING", "10")},
	}
	create(t, cm)
	r := startReplicaIn(t, false, ns)
	c := dialSotW(t, r.xds, productpageNode(ns))
	res, _ := c.subscribe(t)
	if got := sampling(t, res.Listeners); got != 10 {
		t.Fatalf("sampling %v, want the ConfigMap's 10", got)
	}
	if !hasCluster(res.Clusters, names.TelemetryCluster(9411, "zipkin.meshcfg.svc.cluster.local")) {
		t.Fatal("the zipkin collector cluster is missing")
	}

	editMesh(t, cm, strings.ReplaceAll(meshWithSampling, "SAMPLING", "50"))
	lds := c.next(t, resource.ListenerType, 20*time.Second)
	c.send(t, resource.ListenerType, nil, lds.VersionInfo, lds.Nonce, nil)
	if got := sampling(t, decode[*listenerv3.Listener](t, lds.Resources)); got != 50 {
		t.Fatalf("after the edit sampling is %v, want 50", got)
	}

	editMesh(t, cm, "enableTracin: true\n")
	if again := c.Poll(resource.ListenerType, 3*time.Second); again != nil {
		t.Fatalf("a malformed mesh configuration changed the proxy's listeners (version %s)", again.VersionInfo)
	}
	envtestutil.WaitFor(t, 20*time.Second, "a Warning Event on ConfigMap istio", func() bool {
		return meshConfigEvent(t, ns) != nil
	})
	if e := meshConfigEvent(t, ns); !strings.Contains(e.Note, "enableTracin") {
		t.Errorf("the Event does not name the bad field: %q", e.Note)
	}
	if m := grep(get(t, "http://"+r.monitoring+"/metrics"), "sailplane_mesh_config_invalid_total "); !strings.HasSuffix(m, " 1") {
		t.Errorf("sailplane_mesh_config_invalid_total: %q, want 1", m)
	}

	editMesh(t, cm, strings.ReplaceAll(meshWithSampling, "SAMPLING", "5"))
	lds = c.next(t, resource.ListenerType, 20*time.Second)
	if got := sampling(t, decode[*listenerv3.Listener](t, lds.Resources)); got != 5 {
		t.Fatalf("after fixing the ConfigMap sampling is %v, want 5", got)
	}
}

func editMesh(t *testing.T, cm *corev1.ConfigMap, mesh string) {
	t.Helper()
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(cm), cm); err != nil {
		t.Fatal(err)
	}
	cm.Data["mesh"] = mesh
	if err := k8s.Update(context.Background(), cm); err != nil {
		t.Fatal(err)
	}
}

// sampling is the random sampling of the outbound HTTP listener on 9080,
// failing when it has no tracing.
func sampling(t *testing.T, ls []*listenerv3.Listener) float64 {
	t.Helper()
	for _, l := range ls {
		if l.Name != "0.0.0.0_9080" {
			continue
		}
		for _, fc := range chainsOf(l) {
			for _, f := range fc.GetFilters() {
				if f.Name != names.HTTPConnectionManagerFilter {
					continue
				}
				var h hcmv3.HttpConnectionManager
				if err := f.GetTypedConfig().UnmarshalTo(&h); err != nil {
					t.Fatal(err)
				}
				if h.GetTracing().GetProvider().GetName() != names.ZipkinTracer {
					t.Fatalf("listener %s: no zipkin tracer: %v", l.Name, h.GetTracing())
				}
				return h.GetTracing().GetRandomSampling().GetValue()
			}
		}
	}
	t.Fatal("no outbound HTTP listener 0.0.0.0_9080")
	return 0
}

func chainsOf(l *listenerv3.Listener) []*listenerv3.FilterChain {
	if l.DefaultFilterChain == nil {
		return l.FilterChains
	}
	return append([]*listenerv3.FilterChain{l.DefaultFilterChain}, l.FilterChains...)
}

func meshConfigEvent(t *testing.T, ns string) *eventsv1.Event {
	t.Helper()
	var list eventsv1.EventList
	if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for i, e := range list.Items {
		if e.Reason == "InvalidMeshConfig" && e.Regarding.Name == "istio" && e.Regarding.Kind == "ConfigMap" {
			return &list.Items[i]
		}
	}
	return nil
}

// TestTelemetryStatusAndEffect: a namespace Telemetry overrides the mesh
// configuration's sampling for a connected proxy and is Accepted; one
// naming a provider the mesh configuration lacks is not, with the field
// and reason; a mesh configuration field sailplane does not act on is
// reported as an Event on the ConfigMap.
func TestTelemetryStatusAndEffect(t *testing.T) {
	const ns = "telstatus"
	createMesh(t, ns)
	create(t, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "istio", Namespace: ns},
		Data:       map[string]string{"mesh": "ingressClass: istio\n" + strings.ReplaceAll(meshWithSampling, "SAMPLING", "10")},
	})
	r := startReplicaIn(t, true, ns)
	c := dialSotW(t, r.xds, productpageNode(ns))
	res, _ := c.subscribe(t)
	if got := sampling(t, res.Listeners); got != 10 {
		t.Fatalf("sampling %v, want the ConfigMap's 10", got)
	}
	bad := &telemetryv1.Telemetry{ObjectMeta: metav1.ObjectMeta{Name: "bad", Namespace: ns}}
	bad.Spec.Selector = &securityv1.WorkloadSelector{MatchLabels: map[string]securityv1.LabelValue{"app": "reviews"}}
	bad.Spec.Tracing = []telemetryv1.Tracing{{Providers: []telemetryv1.ProviderRef{{Name: "jaeger"}}}}
	create(t, bad)
	thirty := 30.0
	good := &telemetryv1.Telemetry{ObjectMeta: metav1.ObjectMeta{Name: "namespace", Namespace: ns}}
	good.Spec.Tracing = []telemetryv1.Tracing{{RandomSamplingPercentage: &thirty}}
	create(t, good)

	var seen []float64
	for deadline := time.Now().Add(30 * time.Second); ; {
		if time.Now().After(deadline) {
			t.Fatalf("no listener with the namespace Telemetry's sampling 30 within 30s; samplings seen: %v (stream: %v)", seen, c.Err())
		}
		lds := c.Poll(resource.ListenerType, time.Second)
		if lds == nil {
			continue
		}
		c.send(t, resource.ListenerType, nil, lds.VersionInfo, lds.Nonce, nil)
		if s := sampling(t, decode[*listenerv3.Listener](t, lds.Resources)); s == 30 {
			break
		} else {
			seen = append(seen, s)
		}
	}
	envtestutil.WaitFor(t, 30*time.Second, "Accepted on both Telemetries", func() bool {
		return telemetryCondition(t, ns, "namespace") != nil && telemetryCondition(t, ns, "bad") != nil
	})
	if cond := telemetryCondition(t, ns, "namespace"); cond.Status != metav1.ConditionTrue {
		t.Errorf("the namespace Telemetry is not Accepted: %v", cond)
	}
	cond := telemetryCondition(t, ns, "bad")
	if cond.Status != metav1.ConditionFalse || !strings.Contains(cond.Message, `spec.tracing[0].providers[0].name: no extensionProvider "jaeger"`) {
		t.Errorf("the Telemetry naming an unknown provider: %v", cond)
	}
	envtestutil.WaitFor(t, 20*time.Second, "an Event naming ingressClass", func() bool {
		var list eventsv1.EventList
		if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		for _, e := range list.Items {
			if e.Reason == "MeshConfigNotHonoured" && strings.Contains(e.Note, "ingressClass") {
				return true
			}
		}
		return false
	})
}

func telemetryCondition(t *testing.T, ns, name string) *metav1.Condition {
	t.Helper()
	tm := &telemetryv1.Telemetry{}
	if err := k8s.Get(context.Background(), clientKey(ns, name), tm); err != nil {
		t.Fatal(err)
	}
	c := meta.FindStatusCondition(tm.Status.Conditions, "Accepted")
	if c != nil && c.ObservedGeneration != tm.Generation {
		return nil
	}
	return c
}
