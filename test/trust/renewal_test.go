package trust

import (
	"testing"
	"time"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
)

// With a short certificate lifetime, a connected proxy receives its
// renewed certificate over SDS as a new version on the same stream, while
// the old one is still valid: nothing reconnects.
func TestCertificateRenewedOnTheSameStream(t *testing.T) {
	w := makeWorkload(t, "trust-renew", "details", "details-1", "10.15.0.5", nil)
	roots, _ := meshRoots(t, w.ns)
	c := openADS(t, dial(t, cp.secure, dialOpts{tls: proxyTLS(roots), token: boundToken(t, w, defaults.TokenAudience)}), w.nodeID())
	want := []string{names.WorkloadCertSecret, names.RootCASecret}
	c.ask(t, resource.SecretType, want, nil)
	first := c.next(resource.SecretType, 30*time.Second)
	if first == nil {
		t.Fatalf("no secrets: %s", c.ended(t, time.Second).Message())
	}
	old := workloadCert(t, secrets(t, first))
	lifetime := old.NotAfter.Sub(old.NotBefore)
	if lifetime > certTTL+time.Minute || lifetime < certTTL/2 {
		t.Fatalf("certificate lifetime %s, want about the configured %s", lifetime, certTTL)
	}
	c.ask(t, resource.SecretType, want, first) // ACK
	next := c.next(resource.SecretType, time.Until(old.NotAfter))
	if next == nil {
		t.Fatalf("no renewed certificate before the old one expired at %s", old.NotAfter.Format(time.RFC3339))
	}
	arrived := time.Now()
	renewed := workloadCert(t, secrets(t, next))
	if next.VersionInfo == first.VersionInfo || renewed.SerialNumber.Cmp(old.SerialNumber) == 0 {
		t.Fatalf("second SDS response (version %s) carries the same certificate", next.VersionInfo)
	}
	if renewed.URIs[0].String() != old.URIs[0].String() {
		t.Errorf("renewed certificate names %s, the old one %s", renewed.URIs[0], old.URIs[0])
	}
	// Renewal is due once half the lifetime has passed; it must arrive
	// well before the old certificate runs out.
	if limit := old.NotBefore.Add(lifetime * 3 / 4); arrived.After(limit) {
		t.Errorf("renewed certificate arrived at %s, after three quarters of the old one's lifetime (%s)", arrived.Format(time.RFC3339Nano), limit.Format(time.RFC3339Nano))
	}
	if err := c.Err(); err != nil {
		t.Fatalf("the stream ended during renewal: %v", err)
	}
}
