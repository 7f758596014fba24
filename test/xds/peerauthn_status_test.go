package xds

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	"github.com/sailplane/sailplane/test/envtestutil"
)

func paCondition(t *testing.T, ns, name string) *metav1.Condition {
	t.Helper()
	pa := &securityv1.PeerAuthentication{}
	if err := k8s.Get(context.Background(), clientKey(ns, name), pa); err != nil {
		t.Fatal(err)
	}
	c := meta.FindStatusCondition(pa.Status.Conditions, "Accepted")
	if c != nil && (c.ObservedGeneration != pa.Generation || pa.Status.ObservedGeneration != pa.Generation) {
		return nil
	}
	return c
}

// Two namespace-wide PeerAuthentications: the older applies and is
// Accepted, the newer is told it is ignored; deleting the older lets the
// newer apply.
func TestPeerAuthenticationStatus(t *testing.T) {
	createMesh(t, "pastatus")
	startReplica(t, true)
	pa := func(name, mode string) *securityv1.PeerAuthentication {
		p := &securityv1.PeerAuthentication{}
		p.Name, p.Namespace = name, "pastatus"
		p.Spec.Mtls = &securityv1.PeerAuthenticationMutualTLS{Mode: mode}
		return p
	}
	older := pa("default", securityv1.MTLSStrict)
	create(t, older)
	envtestutil.WaitFor(t, 30*time.Second, "Accepted=True on the first PeerAuthentication", func() bool {
		c := paCondition(t, "pastatus", "default")
		return c != nil && c.Status == metav1.ConditionTrue
	})
	time.Sleep(1100 * time.Millisecond) // creation timestamps have one-second resolution
	create(t, pa("second", securityv1.MTLSDisable))
	var cond *metav1.Condition
	envtestutil.WaitFor(t, 30*time.Second, "Accepted=False on the newer PeerAuthentication", func() bool {
		cond = paCondition(t, "pastatus", "second")
		return cond != nil && cond.Status == metav1.ConditionFalse
	})
	if !strings.Contains(cond.Message, "ignored: PeerAuthentication pastatus/default is older and already applies to namespace pastatus") {
		t.Errorf("message does not say why: %q", cond.Message)
	}
	if err := k8s.Delete(context.Background(), older); err != nil {
		t.Fatal(err)
	}
	envtestutil.WaitFor(t, 30*time.Second, "Accepted=True on the remaining PeerAuthentication", func() bool {
		c := paCondition(t, "pastatus", "second")
		return c != nil && c.Status == metav1.ConditionTrue
	})
}
