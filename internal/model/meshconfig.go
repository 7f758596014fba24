package model

import (
	"strings"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/meshconfig"
)

// addMeshConfig takes the bundle's mesh configuration (Istio's defaults
// when there is none) and reports the fields sailplane does not honour
// against ConfigMap istio.
func (m *Model) addMeshConfig(b *bundle.Bundle) {
	m.Mesh = b.Mesh.OrDefault()
	ref, ok := MeshConfigRef(m.Mesh)
	if !ok {
		return
	}
	for _, p := range m.Mesh.Problems {
		m.Status.Add(ref, p.Field, "%s", p.Reason)
	}
}

// MeshConfigRef is the object problems of the mesh configuration are
// reported against: the ConfigMap it was read from.
func MeshConfigRef(c *meshconfig.Config) (ObjectRef, bool) {
	rest, ok := strings.CutPrefix(c.Source, "ConfigMap ")
	if !ok {
		return ObjectRef{}, false
	}
	ns, name, ok := strings.Cut(rest, "/")
	if !ok {
		return ObjectRef{}, false
	}
	return ObjectRef{Kind: "ConfigMap", NamespacedName: types.NamespacedName{Namespace: ns, Name: name}}, true
}

// RootNamespace is the namespace whose objects apply mesh-wide (the mesh
// configuration's rootNamespace, Istio's istio-system by default): every
// kind reads it here, so one setting moves them all.
func (m *Model) RootNamespace() string { return m.Mesh.RootNamespace() }
