package model

import (
	"fmt"
	"sort"
	"strings"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
)

// Gateway server tls.mode values.
const (
	ServerTLSPassthrough     = "PASSTHROUGH"
	ServerTLSSimple          = "SIMPLE"
	ServerTLSMutual          = "MUTUAL"
	ServerTLSAutoPassthrough = "AUTO_PASSTHROUGH"
	ServerTLSIstioMutual     = "ISTIO_MUTUAL"
	ServerTLSOptionalMutual  = "OPTIONAL_MUTUAL"
)

// GatewayName is "namespace/name", the form VirtualServices bind to.
func GatewayName(gw *networkingv1.Gateway) string { return gw.Namespace + "/" + gw.Name }

// Gateway returns the Gateway named "namespace/name", or nil.
func (m *Model) Gateway(qualified string) *networkingv1.Gateway {
	for _, gw := range m.Gateways {
		if GatewayName(gw) == qualified {
			return gw
		}
	}
	return nil
}

// VirtualServicesForGateway returns the VirtualServices bound to the
// gateway ("namespace/name") that a proxy in proxyNS may see, oldest
// first: the order Istio merges their routes in.
func (m *Model) VirtualServicesForGateway(gateway, proxyNS string) []*VirtualService {
	var out []*VirtualService
	for _, vs := range m.VirtualServices {
		if vs.ExportTo.VisibleTo(proxyNS) && contains(vs.Gateways, gateway) {
			out = append(out, vs)
		}
	}
	return out
}

// ServerHost is a Gateway server host with its namespace qualifier read:
// "ns/host" admits VirtualServices of ns only, "./host" those of the
// Gateway's namespace, "*/host" and a bare host those of any namespace.
type ServerHost struct {
	Namespace string // "" for any
	Host      string
}

// ParseServerHosts reads a server's hosts for a Gateway in namespace gwNS.
func ParseServerHosts(hosts []string, gwNS string) []ServerHost {
	out := make([]ServerHost, 0, len(hosts))
	for _, h := range hosts {
		ns, host, qualified := strings.Cut(h, "/")
		switch {
		case !qualified:
			out = append(out, ServerHost{Host: strings.ToLower(h)})
		case ns == ".":
			out = append(out, ServerHost{Namespace: gwNS, Host: strings.ToLower(host)})
		case ns == "*":
			out = append(out, ServerHost{Host: strings.ToLower(host)})
		default:
			out = append(out, ServerHost{Namespace: ns, Host: strings.ToLower(host)})
		}
	}
	return out
}

// GatewayHosts returns a VirtualService's hosts as a gateway matches them
// against its servers' hosts: as written (lower case), except that a name
// without a dot is a service of the VirtualService's namespace. Istio
// completes only those on gateways; "name.ns" stays a DNS name there.
func GatewayHosts(vs *VirtualService) []string {
	out := make([]string, 0, len(vs.Spec.Hosts))
	for _, h := range vs.Spec.Hosts {
		h = strings.ToLower(h)
		if h != "*" && !strings.Contains(h, ".") {
			h = names.ServiceFQDN(h, vs.Ref.Namespace, defaults.DomainSuffix)
		}
		out = append(out, h)
	}
	return out
}

// IntersectHosts returns the narrower of two hosts when one covers the
// other ("*.example.com" and "shop.example.com" meet in the latter).
func IntersectHosts(a, b string) (string, bool) {
	switch {
	case HostMatches(a, b):
		return b, true
	case HostMatches(b, a):
		return a, true
	}
	return "", false
}

// BoundHosts returns, sorted, the hosts a VirtualService serves on a
// server: each of its hosts met with each server host its namespace may
// use.
func BoundHosts(server []ServerHost, vs *VirtualService) []string {
	set := map[string]bool{}
	for _, vh := range GatewayHosts(vs) {
		for _, sh := range server {
			if sh.Namespace != "" && sh.Namespace != vs.Ref.Namespace {
				continue
			}
			if h, ok := IntersectHosts(sh.Host, vh); ok {
				set[h] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for h := range set {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// checkGatewayReferences reports every gateway a VirtualService names
// that does not exist: such rules apply nowhere, which is almost always a
// typo or a Gateway deleted too early.
func (m *Model) checkGatewayReferences() {
	for _, vs := range m.VirtualServices {
		ref := ObjectRef{Kind: "VirtualService", NamespacedName: vs.Ref}
		m.checkGatewayList(ref, "gateways", vs.Spec.Gateways, vs.Ref.Namespace)
		for i, r := range vs.Spec.HTTP {
			for j, mt := range r.Match {
				m.checkGatewayList(ref, fmt.Sprintf("http[%d].match[%d].gateways", i, j), mt.Gateways, vs.Ref.Namespace)
			}
		}
		for i, r := range vs.Spec.TLS {
			for j, mt := range r.Match {
				m.checkGatewayList(ref, fmt.Sprintf("tls[%d].match[%d].gateways", i, j), mt.Gateways, vs.Ref.Namespace)
			}
		}
		for i, r := range vs.Spec.TCP {
			for j, mt := range r.Match {
				m.checkGatewayList(ref, fmt.Sprintf("tcp[%d].match[%d].gateways", i, j), mt.Gateways, vs.Ref.Namespace)
			}
		}
	}
}

func (m *Model) checkGatewayList(ref ObjectRef, field string, gws []string, ns string) {
	for i, q := range QualifyGateways(gws, ns) {
		if q == defaults.MeshGateway || m.Gateway(q) != nil {
			continue
		}
		m.Status.Add(ref, fmt.Sprintf("%s[%d]", field, i), "Gateway %s not found; the rules bound to it apply nowhere", q)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
