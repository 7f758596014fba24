package deploy

import (
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/sailplane/sailplane/internal/envtestbin"
	"github.com/sailplane/sailplane/test/envtestutil"
)

// TestIngressGatewayComponent renders config/gateway, checks that its
// Envoy bootstrap parses into Envoy's Bootstrap and passes validation, and
// that the API server accepts every object.
func TestIngressGatewayComponent(t *testing.T) {
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	objs := render(t, root, "config/gateway")
	found := false
	for _, o := range objs {
		if o.GetKind() != "ConfigMap" {
			continue
		}
		raw, _, _ := unstructured.NestedString(o.Object, "data", "bootstrap.yaml")
		js, err := yaml.YAMLToJSON([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		var b bootstrapv3.Bootstrap
		if err := protojson.Unmarshal(js, &b); err != nil {
			t.Fatalf("bootstrap does not parse as Envoy's Bootstrap: %v", err)
		}
		if err := b.ValidateAll(); err != nil {
			t.Fatalf("bootstrap fails Envoy's validation: %v", err)
		}
		found = b.GetDynamicResources().GetAdsConfig() != nil
	}
	if !found {
		t.Fatal("no bootstrap with an ADS config in config/gateway")
	}
	env, cfg, err := envtestutil.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "sailplane-system"}}}
	applyAll(t, cfg, append([]*unstructured.Unstructured{ns}, objs...))
}
