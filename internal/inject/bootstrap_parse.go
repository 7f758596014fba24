package inject

import (
	"fmt"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/sailplane/sailplane/internal/defaults"
)

// ParseBootstrap reads --config-yaml text back into Envoy's Bootstrap,
// refusing unknown fields as Envoy does, and validates it (ValidateBootstrap).
func ParseBootstrap(text string) (*bootstrapv3.Bootstrap, error) {
	js, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("bootstrap is not YAML: %w", err)
	}
	b := &bootstrapv3.Bootstrap{}
	if err := protojson.Unmarshal(js, b); err != nil {
		return nil, fmt.Errorf("bootstrap is not an envoy.config.bootstrap.v3.Bootstrap: %w", err)
	}
	if err := ValidateBootstrap(b); err != nil {
		return nil, fmt.Errorf("bootstrap fails Envoy's validation: %w", err)
	}
	return b, nil
}

// ProxyBootstrap is the bootstrap an injected pod's istio-proxy starts with.
func ProxyBootstrap(pod *corev1.Pod) (*bootstrapv3.Bootstrap, error) {
	for _, list := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for _, c := range list {
			if c.Name != defaults.ProxyContainerName {
				continue
			}
			for i := 0; i+1 < len(c.Args); i++ {
				if c.Args[i] == "--config-yaml" {
					return ParseBootstrap(c.Args[i+1])
				}
			}
			return nil, fmt.Errorf("container %s has no --config-yaml", c.Name)
		}
	}
	return nil, fmt.Errorf("pod has no %s container", defaults.ProxyContainerName)
}
