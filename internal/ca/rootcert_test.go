package ca

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sailplane/sailplane/internal/defaults"
)

func TestSyncRootCertConfigMap(t *testing.T) {
	bundle := mustCA(t, selfSigned(t), false).TrustBundlePEM()
	cm := RootCertConfigMap("shop", bundle)
	if SyncRootCertConfigMap(cm, bundle) {
		t.Error("an up-to-date ConfigMap was changed")
	}
	cm.Labels["team"] = "a"
	cm.Data["extra"] = "x"
	if !SyncRootCertConfigMap(cm, bundle) || len(cm.Data) != 1 || cm.Data[defaults.RootCertKey] != string(bundle) {
		t.Errorf("tampered data not restored: %v", cm.Data)
	}
	if cm.Labels["team"] != "a" || cm.Labels[defaults.IstioConfigLabel] != "true" {
		t.Errorf("labels %v", cm.Labels)
	}
	bare := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: defaults.RootCertConfigMap}}
	if !SyncRootCertConfigMap(bare, bundle) || bare.Labels[defaults.IstioConfigLabel] != "true" {
		t.Error("an empty ConfigMap was not filled")
	}
}

func TestPublishesRootCertIn(t *testing.T) {
	now := metav1.Now()
	for _, tc := range []struct {
		ns   corev1.Namespace
		want bool
	}{
		{corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, true},
		{corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system"}}, false},
		{corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "gone", DeletionTimestamp: &now}}, false},
		{corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "going"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}}, false},
	} {
		if got := PublishesRootCertIn(&tc.ns); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.ns.Name, got, tc.want)
		}
	}
}
