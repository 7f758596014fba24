package ca

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sailplane/sailplane/internal/defaults"
)

// skippedNamespaces never get the root-certificate ConfigMap, as in
// istiod: nothing in them runs a mesh workload.
var skippedNamespaces = map[string]bool{
	defaults.KubeSystemNamespace:    true,
	defaults.KubePublicNamespace:    true,
	defaults.KubeNodeLeaseNamespace: true,
}

// PublishesRootCertIn reports whether ns should hold the root-certificate
// ConfigMap: not a system namespace, and not being deleted (a create there
// would be refused anyway).
func PublishesRootCertIn(ns *corev1.Namespace) bool {
	if skippedNamespaces[ns.Name] || ns.DeletionTimestamp != nil {
		return false
	}
	return ns.Status.Phase != corev1.NamespaceTerminating
}

// RootCertConfigMap is the ConfigMap istio-ca-root-cert istiod publishes
// in every namespace: the trust bundle under root-cert.pem, labelled as
// istiod labels it.
func RootCertConfigMap(namespace string, bundle []byte) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: namespace,
			Name:      defaults.RootCertConfigMap,
			Labels:    map[string]string{defaults.IstioConfigLabel: "true"},
		},
		Data: map[string]string{defaults.RootCertKey: string(bundle)},
	}
}

// SyncRootCertConfigMap makes have hold exactly the bundle, keeping any
// labels and annotations others added, and reports whether it changed
// anything. Any other data key is dropped: proxies mount the whole
// ConfigMap, so what it holds is the CA's to say.
func SyncRootCertConfigMap(have *corev1.ConfigMap, bundle []byte) bool {
	want := RootCertConfigMap(have.Namespace, bundle)
	changed := false
	if !maps.Equal(have.Data, want.Data) || len(have.BinaryData) > 0 {
		have.Data, have.BinaryData = want.Data, nil
		changed = true
	}
	for k, v := range want.Labels {
		if have.Labels[k] != v {
			if have.Labels == nil {
				have.Labels = map[string]string{}
			}
			have.Labels[k] = v
			changed = true
		}
	}
	return changed
}
