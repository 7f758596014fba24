package xds

import (
	"fmt"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	proxyprotocolv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/proxy_protocol/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// credentialSDSName names a credential's Secret as this proxy asks for
// it: plain "kubernetes://<name>" when the Secret is in the proxy's
// namespace (Istio's usual form), namespace-qualified otherwise, so that
// equal names from two namespaces never meet.
func (g *generator) credentialSDSName(ref model.Credential) string {
	if ref.Ref.Namespace == g.proxy.Namespace {
		return names.CredentialSecret(ref.Ref.Name)
	}
	return names.CredentialSecret(ref.Ref.Namespace + "/" + ref.Ref.Name)
}

// keyPairSecret adds the credential's key pair to the proxy's secrets and
// returns its SDS name.
func (g *generator) keyPairSecret(c model.Credential) string {
	name := g.credentialSDSName(c)
	g.addSecret(keyPairProto(name, c.KeyPair))
	return name
}

// caSecret adds the credential's CA bundle and returns its SDS name.
func (g *generator) caSecret(c model.Credential) string {
	name := names.CredentialCASecret(g.credentialSDSName(c))
	g.addSecret(caProto(name, c.CA))
	return name
}

func keyPairProto(name string, s *model.Secret) *tlsv3.Secret {
	chain, key, _ := s.KeyPair() // only called with Secrets model.KeyPair accepted
	return &tlsv3.Secret{Name: name, Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
		CertificateChain: inlineBytes(chain),
		PrivateKey:       inlineBytes(key),
	}}}
}

func caProto(name string, ca []byte) *tlsv3.Secret {
	return &tlsv3.Secret{Name: name, Type: &tlsv3.Secret_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
		TrustedCa: inlineBytes(ca),
	}}}
}

func inlineBytes(b []byte) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: b}}
}

// addSecret keeps one copy per name; equal names always carry equal
// material since the name says which Secret it is.
func (g *generator) addSecret(s *tlsv3.Secret) {
	for _, have := range g.out.Secrets {
		if have.Name == s.Name {
			return
		}
	}
	g.out.Secrets = append(g.out.Secrets, s)
}

// clusterSecrets serves the Secrets that DestinationRules name for TLS
// origination (tls.credentialName): from the proxy's own namespace, as
// Istio reads them. One that cannot be served is reported against the
// rule; the cluster keeps asking for it, so it fails closed rather than
// falling back to plain text.
func (g *generator) clusterSecrets() {
	for _, c := range g.out.Clusters {
		for _, ref := range g.clusterSDSRefs(c) {
			if g.hasSecret(ref.name) || names.IsWorkloadSecret(ref.name) {
				continue // workload secrets come per node, at snapshot time
			}
			if err := g.serveCredential(ref); err != nil {
				owner := g.clusterOwner(c.Name)
				g.problem(owner, g.credentialField(owner, ref.name), fmt.Sprintf("cluster %s cannot present or verify certificates: %v", c.Name, err))
			}
		}
	}
}

func (g *generator) hasSecret(name string) bool {
	for _, s := range g.out.Secrets {
		if s.Name == name {
			return true
		}
	}
	return false
}

// serveCredential adds the Secret an SDS name asks for, or says why not.
func (g *generator) serveCredential(ref sdsRef) error {
	cr, ok := names.ParseCredentialSecret(ref.name)
	if !ok {
		return fmt.Errorf("SDS secret %q is not a Kubernetes credential", ref.name)
	}
	ns := g.proxy.Namespace
	if cr.Namespace != "" && cr.Namespace != ns && !model.AllowCrossNamespaceCredentials {
		return fmt.Errorf("credentialName %s/%s: a proxy may only use Secrets of its own namespace (%s)", cr.Namespace, cr.Name, ns)
	} else if cr.Namespace != "" {
		ns = cr.Namespace
	}
	if cr.CA {
		ca, err := g.m.CABundle(ns, cr.Name)
		if err != nil {
			return err
		}
		g.addSecret(caProto(ref.name, ca))
		return nil
	}
	kp, err := g.m.KeyPair(ns, cr.Name)
	if err != nil {
		return err
	}
	g.addSecret(keyPairProto(ref.name, kp))
	return nil
}

// sdsRef is a secret a TLS context asks for over SDS; ca says it must be
// a validation context rather than a key pair.
type sdsRef struct {
	name string
	ca   bool
}

// sdsRefs lists the SDS secrets of a transport socket: TLS, either
// direction, possibly wrapped in PROXY protocol.
func sdsRefs(ts *corev3.TransportSocket) []sdsRef {
	if ts == nil || ts.GetTypedConfig() == nil {
		return nil
	}
	msg, err := ts.GetTypedConfig().UnmarshalNew()
	if err != nil {
		return nil
	}
	switch c := msg.(type) {
	case *tlsv3.UpstreamTlsContext:
		return commonSDSRefs(c.GetCommonTlsContext())
	case *tlsv3.DownstreamTlsContext:
		return commonSDSRefs(c.GetCommonTlsContext())
	case *proxyprotocolv3.ProxyProtocolUpstreamTransport:
		return sdsRefs(c.GetTransportSocket())
	}
	return nil
}

// clusterSDSRefs lists the SDS secrets of a cluster's transport socket and
// of its transport socket matches (auto mTLS).
func clusterSDSRefs(c *clusterv3.Cluster) []sdsRef {
	out := sdsRefs(c.GetTransportSocket())
	for _, m := range c.GetTransportSocketMatches() {
		out = append(out, sdsRefs(m.GetTransportSocket())...)
	}
	return out
}

// clusterSDSRefs is clusterSDSRefs(c) reading each transport socket once
// per model: the outbound clusters are shared by every sidecar's outbound
// half (cluster_shared.go), and unpacking their sockets again for each
// half was a large part of its translation. A socket is not changed once
// built, so its pointer is the whole key.
func (g *generator) clusterSDSRefs(c *clusterv3.Cluster) []sdsRef {
	out := g.socketSDSRefs(c.GetTransportSocket())
	for _, m := range c.GetTransportSocketMatches() {
		out = append(out, g.socketSDSRefs(m.GetTransportSocket())...)
	}
	return out
}

type socketSDSKey struct{ ts *corev3.TransportSocket }

func (g *generator) socketSDSRefs(ts *corev3.TransportSocket) []sdsRef {
	if ts == nil {
		return nil
	}
	refs := g.m.Memo(socketSDSKey{ts}, func() any { return sdsRefs(ts) }).([]sdsRef)
	return refs[:len(refs):len(refs)] // shared: an append must copy
}

func commonSDSRefs(cc *tlsv3.CommonTlsContext) []sdsRef {
	var out []sdsRef
	for _, s := range cc.GetTlsCertificateSdsSecretConfigs() {
		out = append(out, sdsRef{name: s.GetName()})
	}
	if s := cc.GetValidationContextSdsSecretConfig(); s != nil {
		out = append(out, sdsRef{name: s.GetName(), ca: true})
	}
	if s := cc.GetCombinedValidationContext().GetValidationContextSdsSecretConfig(); s != nil {
		out = append(out, sdsRef{name: s.GetName(), ca: true})
	}
	return out
}

// credentialField finds where a DestinationRule names the credential an
// SDS name stands for, for the problem's field; "" when it cannot tell.
func (g *generator) credentialField(owner model.ObjectRef, sdsName string) string {
	cr, ok := names.ParseCredentialSecret(sdsName)
	if !ok || owner.Kind != "DestinationRule" {
		return ""
	}
	var dr *model.DestinationRule
	for _, d := range g.m.DestinationRules {
		if d.Ref == owner.NamespacedName {
			dr = d
		}
	}
	if dr == nil {
		return ""
	}
	want := func(tls *networkingv1.ClientTLSSettings) bool {
		if tls == nil || tls.CredentialName == "" {
			return false
		}
		got, _ := names.ParseCredentialSecret(names.CredentialSecret(tls.CredentialName))
		return got.Name == cr.Name && got.Namespace == cr.Namespace
	}
	if f := policyCredentialField("trafficPolicy", dr.Spec.TrafficPolicy, want); f != "" {
		return f
	}
	for i, s := range dr.Spec.Subsets {
		if f := policyCredentialField(fmt.Sprintf("subsets[%d].trafficPolicy", i), s.TrafficPolicy, want); f != "" {
			return f
		}
	}
	return ""
}

func policyCredentialField(at string, tp *networkingv1.TrafficPolicy, want func(*networkingv1.ClientTLSSettings) bool) string {
	if tp == nil {
		return ""
	}
	if want(tp.TLS) {
		return at + ".tls.credentialName"
	}
	for i, p := range tp.PortLevelSettings {
		if want(p.TLS) {
			return fmt.Sprintf("%s.portLevelSettings[%d].tls.credentialName", at, i)
		}
	}
	return ""
}

// pruneSecrets drops Secrets no remaining listener or cluster asks for
// (their server clashed with another, or the chain failed validation):
// a proxy is sent only the keys it uses.
func (g *generator) pruneSecrets() {
	used := map[string]bool{}
	for _, c := range g.out.Clusters {
		for _, r := range g.clusterSDSRefs(c) {
			used[r.name] = true
		}
	}
	for _, l := range g.out.Listeners {
		for _, fc := range chainsOf(l) {
			for _, r := range sdsRefs(fc.GetTransportSocket()) {
				used[r.name] = true
			}
		}
	}
	out := g.out.Secrets[:0]
	for _, s := range g.out.Secrets {
		if used[s.Name] {
			out = append(out, s)
		}
	}
	g.out.Secrets = out
}

// WorkloadSecrets are a workload's own SDS resources under Istio's names:
// its key pair ("default") and the mesh trust bundle that validates its
// peers ("ROOTCA").
func WorkloadSecrets(certChainPEM, keyPEM, trustBundlePEM []byte) []*tlsv3.Secret {
	return []*tlsv3.Secret{
		{Name: names.WorkloadCertSecret, Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
			CertificateChain: inlineBytes(certChainPEM),
			PrivateKey:       inlineBytes(keyPEM),
		}}},
		caProto(names.RootCASecret, trustBundlePEM),
	}
}
