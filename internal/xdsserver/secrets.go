package xdsserver

import (
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/listid"
	"github.com/sailplane/sailplane/internal/xds"
)

// WorkloadCerts hands out identities' own SDS resources (their key pair
// and the mesh trust bundle) and forgets those no proxy holds any more.
type WorkloadCerts interface {
	Secrets(identity.Identity) ([]*tlsv3.Secret, error)
	// Retain keeps the certificates of these SPIFFE ids only.
	Retain(spiffeIDs map[string]bool)
}

// SecretsView decides which secrets a node's snapshot carries, from what
// the node proved rather than from its group:
//   - a node on the plaintext port gets none at all, and nothing that asks
//     for one (xds.WithoutSDS: asking there ends its stream, and Envoy
//     would reconnect and ask again);
//   - a node on the authenticated port gets its group's (the credentials
//     of its own namespace, which its verified namespace entitles it to)
//     and its identity's own certificate.
//
// Results are memoised per group and identity within one publish, so the
// proxies of one service account in one group still share one snapshot.
type SecretsView struct {
	workload WorkloadCerts
	memo     map[viewKey]*xds.Resources
	used     map[string]bool
	failed   error
	// lists are the secret lists made in this publish and the last, by
	// identity and group list: a node whose group's secrets and own
	// certificate are as they were gets the very list it had, which the
	// snapshot builder recognises without converting it again. Without
	// it every publish rebuilt the secret set of every identity.
	lists, lastLists map[secretListKey]secretList
}

type secretListKey struct {
	spiffe string
	group  listid.ID[*tlsv3.Secret]
}

type secretList struct {
	own, list []*tlsv3.Secret
}

type viewKey struct {
	group  *xds.Resources
	spiffe string // "" for plaintext
}

// NewSecretsView returns a view; workload may be nil when no workload
// certificates are issued.
func NewSecretsView(workload WorkloadCerts) *SecretsView {
	v := &SecretsView{workload: workload}
	v.Reset()
	return v
}

// Reset starts a publish: the memo and failure of the last one are let go.
func (v *SecretsView) Reset() {
	v.memo, v.used, v.failed = map[viewKey]*xds.Resources{}, map[string]bool{}, nil
	v.lastLists, v.lists = v.lists, map[secretListKey]secretList{}
}

// Published ends a full publish: certificates of identities that no node
// of it holds are forgotten.
func (v *SecretsView) Published() {
	if v.workload != nil {
		v.workload.Retain(v.used)
	}
}

// Failed is the first workload certificate that could not be issued since
// Reset. Such a node is still served the rest of its configuration: a CA
// that cannot sign breaks only what needs its signature.
func (v *SecretsView) Failed() error { return v.failed }

// For returns the node's resources: the group's, with the secrets the node
// may hold. The same group and identity give the same pointer.
func (v *SecretsView) For(group *xds.Resources, who *identity.Identity) *xds.Resources {
	key := viewKey{group: group}
	if who != nil {
		key.spiffe = who.SPIFFE()
		v.used[key.spiffe] = true
	}
	if r, ok := v.memo[key]; ok {
		return r
	}
	if who == nil {
		r := xds.WithoutSDS(group)
		v.memo[key] = r
		return r
	}
	r := *group
	var own []*tlsv3.Secret
	if v.workload != nil {
		var err error
		own, err = v.workload.Secrets(*who)
		if err != nil && v.failed == nil {
			v.failed = err
		}
	}
	r.Secrets = v.list(key.spiffe, group.Secrets, own)
	v.memo[key] = &r
	return &r
}

// list is the group's secrets followed by own: the list made for the
// same identity, group list and own list in this publish or the last, or
// a new one.
func (v *SecretsView) list(spiffe string, group, own []*tlsv3.Secret) []*tlsv3.Secret {
	k := secretListKey{spiffe: spiffe, group: listid.Of(group)}
	for _, m := range []map[secretListKey]secretList{v.lists, v.lastLists} {
		if l, ok := m[k]; ok && listid.Of(l.own) == listid.Of(own) {
			v.lists[k] = l
			return l.list
		}
	}
	l := secretList{own: own, list: append(append(make([]*tlsv3.Secret, 0, len(group)+len(own)), group...), own...)}
	v.lists[k] = l
	return l.list
}
