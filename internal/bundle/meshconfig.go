package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/sailplane/sailplane/internal/meshconfig"
)

// addMeshConfigMap keeps a ConfigMap named "istio" (the mesh
// configuration); other ConfigMaps do not matter to the mesh.
func (b *Bundle) addMeshConfigMap(raw json.RawMessage) error {
	var cm corev1.ConfigMap
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cm); err != nil {
		return err
	}
	if cm.Name != meshconfig.ConfigMapName {
		return nil
	}
	cm.Namespace = nsOrDefault(cm.Namespace)
	b.MeshConfigMaps = append(b.MeshConfigMaps, cm)
	return nil
}

// ReadMeshConfig sets Mesh from ConfigMap "istio" in the control plane's
// namespace, as the controller would; without one, Mesh stays nil (Istio's
// defaults). A malformed mesh configuration is an error, naming the
// ConfigMap and the field.
func (b *Bundle) ReadMeshConfig(namespace string) error {
	for _, cm := range b.MeshConfigMaps {
		if cm.Namespace != namespace {
			continue
		}
		c, err := MeshConfigOf(&cm)
		if err != nil {
			return err
		}
		b.Mesh = c
	}
	return nil
}

// MeshConfigOf parses the ConfigMap's "mesh" key (Istio's MeshConfig)
// and its "sailplane" key (sailplane's own settings).
func MeshConfigOf(cm *corev1.ConfigMap) (*meshconfig.Config, error) {
	source := fmt.Sprintf("ConfigMap %s/%s", cm.Namespace, cm.Name)
	c, err := meshconfig.Parse(source, cm.Data[meshconfig.ConfigMapKey])
	if err != nil {
		return nil, err
	}
	if err := c.ParseExtensions(cm.Data[meshconfig.ExtensionsKey]); err != nil {
		return nil, err
	}
	return c, nil
}
