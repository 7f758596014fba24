// Package workloadcert keeps every connected workload's certificate: one
// X.509 SVID per identity, issued by the mesh CA when a proxy of that
// identity first needs it, renewed once half its lifetime has passed or
// when the CA changes, and handed out as the SDS resources "default" and
// "ROOTCA". Proxies of one service account share the identity's key pair:
// the certificate names the service account, not the pod, so a per-pod
// key would prove nothing more, and one key per identity keeps a mass
// connect of 2000 proxies at a few hundred signatures.
package workloadcert

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/sailplane/sailplane/internal/ca"
	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/xds"
)

// Issuer issues and renews workload certificates. It is safe for
// concurrent use.
type Issuer struct {
	ca  func() *ca.CA
	ttl time.Duration
	now func() time.Time

	mu     sync.Mutex
	issued map[string]*entry // by SPIFFE id
	// issuedOne wakes RenewWhenDue: a new certificate may be due sooner
	// than what it waits for.
	issuedOne chan struct{}
	// count is how many certificates were issued (first issuances and
	// renewals); onIssue, when set, is told of each.
	count   atomic.Int64
	onIssue func()
}

// entry is one identity's current certificate. The secrets are built once
// per issuance, so every publish hands the snapshot builder the same
// protos and nothing is marshalled again until the certificate changes.
type entry struct {
	signer  *ca.CA
	pair    *ca.KeyPair
	renew   time.Time
	secrets []*tlsv3.Secret
}

// New returns an issuer signing with the CA current returns, for
// certificates of the given lifetime.
func New(current func() *ca.CA, ttl time.Duration, now func() time.Time) *Issuer {
	return &Issuer{ca: current, ttl: ttl, now: now, issued: map[string]*entry{}, issuedOne: make(chan struct{}, 1)}
}

// Secrets returns the identity's "default" and "ROOTCA" SDS resources,
// issuing a certificate when there is none, when half of its lifetime
// has passed, or when the CA changed since it was issued (a plugged-in
// CA, or a rotated root whose bundle must reach every proxy).
func (i *Issuer) Secrets(id identity.Identity) ([]*tlsv3.Secret, error) {
	signer := i.ca()
	if signer == nil {
		return nil, fmt.Errorf("no mesh CA loaded yet")
	}
	key := id.SPIFFE()
	now := i.now()
	i.mu.Lock()
	defer i.mu.Unlock()
	if e := i.issued[key]; e != nil && sameCA(e.signer, signer) && now.Before(e.renew) {
		return e.secrets, nil
	}
	pair, err := signer.IssueWorkload(identity.Identity{TrustDomain: id.TrustDomain, Namespace: id.Namespace, ServiceAccount: id.ServiceAccount}, i.ttl, now)
	if err != nil {
		return nil, fmt.Errorf("issuing the certificate of %s: %w", key, err)
	}
	e := &entry{signer: signer, pair: pair, renew: renewAt(pair), secrets: xds.WorkloadSecrets(pair.CertChainPEM, pair.KeyPEM, signer.TrustBundlePEM())}
	i.issued[key] = e
	i.count.Add(1)
	if i.onIssue != nil {
		i.onIssue()
	}
	select {
	case i.issuedOne <- struct{}{}:
	default:
	}
	return e.secrets, nil
}

// OnIssue makes the issuer call f after each certificate it issues (a
// metric's Inc); call it before the issuer is used.
func (i *Issuer) OnIssue(f func()) { i.onIssue = f }

// Issued is the number of certificates issued so far, first issuances
// and renewals.
func (i *Issuer) Issued() int64 { return i.count.Load() }

// renewAt is when half of a certificate's lifetime has passed (Istio's
// grace-period ratio of one half).
func renewAt(p *ca.KeyPair) time.Time {
	return p.NotBefore.Add(p.NotAfter.Sub(p.NotBefore) / 2)
}

// NextRenewal is the earliest time a certificate issued so far is due,
// and false when none has been issued.
func (i *Issuer) NextRenewal() (time.Time, bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	var next time.Time
	for _, e := range i.issued {
		if next.IsZero() || e.renew.Before(next) {
			next = e.renew
		}
	}
	return next, !next.IsZero()
}

// Retain forgets the certificates of identities outside keep (by SPIFFE
// id): no proxy of theirs is connected any more.
func (i *Issuer) Retain(keep map[string]bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	for k := range i.issued {
		if !keep[k] {
			delete(i.issued, k)
		}
	}
}

// minRenewWait keeps the renewal loop from spinning while the reconcile
// it asked for has not yet renewed what is due.
const minRenewWait = 200 * time.Millisecond

// idleRenewWait is how often the loop looks again when nothing is issued.
const idleRenewWait = time.Minute

// RenewWhenDue calls due whenever a certificate's renewal time has come,
// until ctx ends; due should make the proxies' snapshots be rebuilt, which
// calls Secrets and so renews.
func (i *Issuer) RenewWhenDue(ctx context.Context, due func()) {
	for {
		next, ok := i.NextRenewal()
		wait := idleRenewWait
		if ok {
			wait = max(next.Sub(i.now()), minRenewWait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-i.issuedOne:
			t.Stop()
			continue
		case <-t.C:
		}
		if ok && !i.now().Before(next) {
			due()
		}
	}
}
