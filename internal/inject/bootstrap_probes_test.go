package inject

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// TestBootstrapProbesGolden keeps the full text of a bootstrap with one
// probe of each kind, which the pod goldens abbreviate.
func TestBootstrapProbesGolden(t *testing.T) {
	probes := AppProbers{
		"/app-health/app/livez": {HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080), Scheme: corev1.URISchemeHTTP}},
		"/app-health/app/readyz": {HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromInt32(8443), Scheme: corev1.URISchemeHTTPS},
			TimeoutSeconds: 3},
		"/app-health/app/startupz": {TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}, PeriodSeconds: 2},
		"/app-health/rpc/livez":    {GRPC: &corev1.GRPCAction{Port: 9090, Service: ptr.To("")}},
	}
	b, err := PodBootstrap(testSettings().XDSAddress, ModeRedirect, probes)
	if err != nil {
		t.Fatal(err)
	}
	text, err := RenderBootstrap(b)
	if err != nil {
		t.Fatal(err)
	}
	parseBootstrap(t, text)
	compareGolden(t, "testdata/bootstrap-probes.out.yaml", []byte(text))
}
