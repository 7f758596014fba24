package xds

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/test/envtestutil"
)

func accepted(t *testing.T, ns, name string) *metav1.Condition {
	t.Helper()
	vs := &networkingv1.VirtualService{}
	if err := k8s.Get(context.Background(), clientKey(ns, name), vs); err != nil {
		t.Fatal(err)
	}
	c := meta.FindStatusCondition(vs.Status.Conditions, "Accepted")
	if c != nil && (c.ObservedGeneration != vs.Generation || vs.Status.ObservedGeneration != vs.Generation) {
		return nil // describes an older generation
	}
	return c
}

func TestStatusNamesAMissingSubsetUntilItIsDefined(t *testing.T) {
	createMesh(t, "status")
	startReplica(t, true)
	applyVS(t, "status", `{hosts: [reviews], http: [{route: [{destination: {host: reviews, subset: v9}}]}]}`)
	var cond *metav1.Condition
	envtestutil.WaitFor(t, 30*time.Second, "Accepted=False on the VirtualService", func() bool {
		cond = accepted(t, "status", "reviews")
		return cond != nil && cond.Status == metav1.ConditionFalse
	})
	if !strings.Contains(cond.Message, `http[0].route[0].destination: subset "v9": no DestinationRule for host "reviews.status.svc.cluster.local"`) {
		t.Errorf("message does not name the field and reason: %q", cond.Message)
	}
	dr := &networkingv1.DestinationRule{}
	dr.Name, dr.Namespace = "reviews", "status"
	dr.Spec.Host = "reviews"
	dr.Spec.Subsets = []networkingv1.Subset{{Name: "v9", Labels: map[string]string{"version": "v1"}}}
	create(t, dr)
	envtestutil.WaitFor(t, 30*time.Second, "Accepted=True after the DestinationRule defines the subset", func() bool {
		cond = accepted(t, "status", "reviews")
		return cond != nil && cond.Status == metav1.ConditionTrue
	})
	// The DestinationRule itself is accepted too.
	got := &networkingv1.DestinationRule{}
	envtestutil.WaitFor(t, 30*time.Second, "the DestinationRule's status", func() bool {
		_ = k8s.Get(context.Background(), clientKey("status", "reviews"), got)
		c := meta.FindStatusCondition(got.Status.Conditions, "Accepted")
		return c != nil && c.Status == metav1.ConditionTrue
	})
}

func TestSecondReplicaServesIdenticalConfig(t *testing.T) {
	createMesh(t, "replicas")
	a, b := startReplica(t, false), startReplica(t, false)
	_, fromA := dialSotW(t, a.xds, productpageNode("replicas")).subscribe(t)
	_, fromB := dialSotW(t, b.xds, productpageNode("replicas")).subscribe(t)
	for typeURL, ra := range fromA {
		rb := fromB[typeURL]
		if ra.VersionInfo != rb.VersionInfo || len(ra.Resources) != len(rb.Resources) {
			t.Errorf("%s: replica A serves version %s (%d resources), replica B %s (%d)", typeURL, ra.VersionInfo, len(ra.Resources), rb.VersionInfo, len(rb.Resources))
		}
	}
}
