package deploy

import (
	"path"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	grpccredentialv3 "github.com/envoyproxy/go-control-plane/envoy/config/grpc_credential/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/sailplane/sailplane/internal/envtestbin"
	"github.com/sailplane/sailplane/internal/inject"
	"github.com/sailplane/sailplane/test/envtestutil"
)

// TestIngressGatewayComponent renders config/gateway, checks that its
// Envoy bootstrap parses into Envoy's Bootstrap and passes validation
// (inside every typed config too), that it dials the authenticated xDS port
// with files the Deployment mounts, and that the API server accepts every
// object.
func TestIngressGatewayComponent(t *testing.T) {
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	objs := render(t, root, "config/gateway")
	var b *bootstrapv3.Bootstrap
	var deploy *appsv1.Deployment
	for _, o := range objs {
		switch o.GetKind() {
		case "ConfigMap":
			raw, _, _ := unstructured.NestedString(o.Object, "data", "bootstrap.yaml")
			js, err := yaml.YAMLToJSON([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			b = &bootstrapv3.Bootstrap{}
			if err := protojson.Unmarshal(js, b); err != nil {
				t.Fatalf("bootstrap does not parse as Envoy's Bootstrap: %v", err)
			}
			if err := inject.ValidateBootstrap(b); err != nil {
				t.Fatalf("bootstrap fails Envoy's validation: %v", err)
			}
		case "Deployment":
			deploy = &appsv1.Deployment{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, deploy); err != nil {
				t.Fatal(err)
			}
		}
	}
	if b == nil || b.GetDynamicResources().GetAdsConfig() == nil || deploy == nil {
		t.Fatal("config/gateway renders no bootstrap with an ADS config, or no Deployment")
	}
	checkGatewayXDS(t, b, deploy)
	env, cfg, err := envtestutil.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "sailplane-system"}}}
	applyAll(t, cfg, append([]*unstructured.Unstructured{ns}, objs...))
}

// checkGatewayXDS: the gateway reaches the control plane as injected
// sidecars do, on the authenticated port, and every file its xDS
// connection reads is mounted from the right source.
func checkGatewayXDS(t *testing.T, b *bootstrapv3.Bootstrap, deploy *appsv1.Deployment) {
	t.Helper()
	services := b.GetDynamicResources().GetAdsConfig().GetGrpcServices()
	if len(services) != 1 || services[0].GetGoogleGrpc() == nil {
		t.Fatalf("ADS services %v, want one Google gRPC service", services)
	}
	g := services[0].GetGoogleGrpc()
	if g.GetTargetUri() != "sailplane.sailplane-system.svc:15012" {
		t.Errorf("gateway dials %q, want the authenticated port sailplane.sailplane-system.svc:15012", g.GetTargetUri())
	}
	// The injected sidecar's xDS service is the reference: same credentials,
	// same files, same channel arguments.
	ref, err := inject.Bootstrap(g.GetTargetUri(), inject.ModeRedirect)
	if err != nil {
		t.Fatal(err)
	}
	want := ref.GetDynamicResources().GetAdsConfig().GetGrpcServices()[0]
	if !proto.Equal(services[0], want) {
		t.Errorf("gateway xDS service differs from the injected sidecars':\n got %v\nwant %v", services[0], want)
	}
	plugin := &grpccredentialv3.FileBasedMetadataConfig{}
	if err := g.GetCallCredentials()[0].GetFromPlugin().GetTypedConfig().UnmarshalTo(plugin); err != nil {
		t.Fatal(err)
	}
	pod := deploy.Spec.Template.Spec
	proxy := pod.Containers[0]
	tokenVol, tokenFile := mountedFrom(t, pod, proxy, plugin.GetSecretData().GetFilename())
	if p := tokenVol.Projected; p == nil || len(p.Sources) != 1 || p.Sources[0].ServiceAccountToken == nil ||
		p.Sources[0].ServiceAccountToken.Audience != "istio-ca" || p.Sources[0].ServiceAccountToken.Path != tokenFile {
		t.Errorf("token %s comes from volume %+v, want a projected token for audience istio-ca", tokenFile, tokenVol)
	}
	rootVol, rootFile := mountedFrom(t, pod, proxy, g.GetChannelCredentials().GetSslCredentials().GetRootCerts().GetFilename())
	if rootVol.ConfigMap == nil || rootVol.ConfigMap.Name != "istio-ca-root-cert" || rootFile != "root-cert.pem" {
		t.Errorf("root %s comes from volume %+v, want root-cert.pem of ConfigMap istio-ca-root-cert", rootFile, rootVol)
	}
}

// mountedFrom returns the pod volume behind the container's mount that
// holds file, and the file's path inside it.
func mountedFrom(t *testing.T, pod corev1.PodSpec, c corev1.Container, file string) (corev1.Volume, string) {
	t.Helper()
	for _, m := range c.VolumeMounts {
		if dir := path.Clean(m.MountPath) + "/"; strings.HasPrefix(file, dir) {
			for _, v := range pod.Volumes {
				if v.Name == m.Name {
					return v, strings.TrimPrefix(file, dir)
				}
			}
		}
	}
	t.Fatalf("container %s reads %s, which no mount provides", c.Name, file)
	return corev1.Volume{}, ""
}
