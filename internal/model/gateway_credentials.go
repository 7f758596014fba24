package model

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// Credential is what a gateway server terminates TLS with when it names a
// Kubernetes Secret: the key pair, and for servers that verify clients the
// CA bundle.
type Credential struct {
	// Ref is the Secret holding the key pair.
	Ref     types.NamespacedName
	KeyPair *Secret
	// CA is set for MUTUAL and OPTIONAL_MUTUAL servers.
	CA []byte
}

// ServerLeftOut ends every problem that keeps a gateway server from being
// served: the effect on the proxy.
const ServerLeftOut = "; the server is left out of the gateway's listener"

// ServerCredentials resolves the Secrets that server i of gw names in
// credentialName or credentialNames for a gateway proxy in namespace
// proxyNS. As in Istio, the Secret lives beside the gateway workload, not
// beside the Gateway object: a Gateway in one namespace whose selector
// matches pods of another can never hand those pods its own namespace's
// keys, and a proxy is only ever given keys of the namespace it was
// authenticated for. It returns nothing for servers that name none or do
// not terminate TLS; a problem (field and reason) when a Secret cannot be
// used, in which case the server cannot be served.
func (m *Model) ServerCredentials(gw *networkingv1.Gateway, i int, proxyNS string) ([]Credential, *Problem) {
	t := gw.Spec.Servers[i].TLS
	if t == nil || !terminatesTLS(t.Mode) {
		return nil, nil
	}
	field := fmt.Sprintf("servers[%d].tls.", i)
	names := []string{t.CredentialName}
	fields := []string{field + "credentialName"}
	if t.CredentialName == "" {
		names, fields = t.CredentialNames, nil
		for j := range names {
			fields = append(fields, fmt.Sprintf("%scredentialNames[%d]", field, j))
		}
	}
	var out []Credential
	for j, n := range names {
		if n == "" {
			continue
		}
		needCA := j == 0 && (t.Mode == ServerTLSMutual || t.Mode == ServerTLSOptionalMutual)
		c, err := m.credential(proxyNS, n, needCA)
		if err != nil {
			return nil, &Problem{Field: fields[j], Reason: err.Error() + ServerLeftOut}
		}
		out = append(out, c)
	}
	return out, nil
}

func terminatesTLS(mode string) bool {
	return mode == ServerTLSSimple || mode == ServerTLSMutual || mode == ServerTLSOptionalMutual
}

// credential finds credentialName for a gateway proxy in namespace
// proxyNS. The name may carry Istio's "kubernetes://" prefix and a
// namespace.
func (m *Model) credential(proxyNS, credentialName string, needCA bool) (Credential, error) {
	name := strings.TrimPrefix(credentialName, "kubernetes://")
	ns := proxyNS
	if n, rest, qualified := strings.Cut(name, "/"); qualified {
		ns, name = n, rest
	}
	if ns != proxyNS && !AllowCrossNamespaceCredentials {
		return Credential{}, fmt.Errorf("Secret %s/%s is in another namespace; a gateway may only use Secrets of its own namespace (%s)", ns, name, proxyNS)
	}
	kp, err := m.KeyPair(ns, name)
	if err != nil {
		return Credential{}, m.notFoundHint(err, ns, name)
	}
	c := Credential{Ref: kp.Ref, KeyPair: kp}
	if needCA {
		if c.CA, err = m.CABundle(ns, name); err != nil {
			return Credential{}, fmt.Errorf("verifying clients needs a CA: %v", err)
		}
	}
	return c, nil
}

// notFoundHint adds the namespace rule to "not found": users moving a
// Gateway object to an application namespace often expect its Secret to
// move with it. Which other namespaces hold such a Secret is not said: the
// Gateway's author may not be allowed to know.
func (m *Model) notFoundHint(err error, ns, name string) error {
	if m.Secrets[types.NamespacedName{Namespace: ns, Name: name}] != nil {
		return err
	}
	return fmt.Errorf("%v (a Gateway's credentialName names a Secret in the namespace of the gateway workload, %s)", err, ns)
}

// checkGatewayCredentials records, for every Gateway, the Secrets its
// servers cannot use in each namespace that runs pods it selects (the
// Gateway's own namespace when none does yet), whether or not a gateway
// proxy is connected; generation finds the same problems and Status keeps
// them once.
func (m *Model) checkGatewayCredentials() {
	for _, gw := range m.Gateways {
		ref := ObjectRef{Kind: "Gateway", NamespacedName: types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}}
		for _, ns := range m.gatewayWorkloadNamespaces(gw) {
			for i := range gw.Spec.Servers {
				if _, p := m.ServerCredentials(gw, i, ns); p != nil {
					m.Status.Add(ref, p.Field, "%s", p.Reason)
				}
			}
		}
	}
}

// gatewayWorkloadNamespaces lists, sorted, the namespaces of the pods gw
// selects, or gw's own namespace when it selects none.
func (m *Model) gatewayWorkloadNamespaces(gw *networkingv1.Gateway) []string {
	seen := map[string]bool{}
	for _, w := range m.Pods {
		if SelectsLabels(gw.Spec.Selector, w.Labels) {
			seen[w.Ref.Namespace] = true
		}
	}
	if len(seen) == 0 {
		return []string{gw.Namespace}
	}
	out := make([]string, 0, len(seen))
	for ns := range seen {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// SelectsLabels is a Gateway's or Service's selector match: every pair
// present, and an empty selector matches nothing (a gateway selector is
// never "all pods", and a Service without a selector has no workloads).
func SelectsLabels(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
