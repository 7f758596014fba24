package model

import (
	"strings"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
)

// ResolveHost makes a host named in an object of namespace ns fully
// qualified, as Istio does for Kubernetes: a name without dots is a
// service in that namespace; "name.ns" and "name.ns.svc" are completed;
// anything else (an FQDN, a wildcard, an external name) is kept.
func ResolveHost(host, ns string) string {
	if host == "*" || strings.HasPrefix(host, "*.") {
		return host
	}
	switch strings.Count(host, ".") {
	case 0:
		return names.ServiceFQDN(host, ns, defaults.DomainSuffix)
	case 1:
		if name, hostNS, _ := strings.Cut(host, "."); isKubernetesNamespaceLike(hostNS) {
			return names.ServiceFQDN(name, hostNS, defaults.DomainSuffix)
		}
	}
	if base, ok := strings.CutSuffix(host, ".svc"); ok && strings.Count(base, ".") == 1 {
		name, hostNS, _ := strings.Cut(base, ".")
		return names.ServiceFQDN(name, hostNS, defaults.DomainSuffix)
	}
	return host
}

// isKubernetesNamespaceLike rejects TLDs so "example.com" is not read as
// service "example" in namespace "com". Istio treats "a.b" as a Kubernetes
// service only when it is not a public domain; we use the list of the
// common TLDs users write in ServiceEntries.
func isKubernetesNamespaceLike(s string) bool {
	switch s {
	case "com", "org", "net", "io", "dev", "cn", "local", "internal", "edu", "gov", "co", "ai", "app":
		return false
	}
	return isLabel(s)
}

func isLabel(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// HostMatches reports whether a rule host (possibly a wildcard) covers the
// service hostname.
func HostMatches(rule, host string) bool {
	if rule == "*" || rule == host {
		return true
	}
	if suffix, ok := strings.CutPrefix(rule, "*"); ok {
		return strings.HasSuffix(host, suffix)
	}
	return false
}

// ShortNames returns the names a client in namespace clientNS may use for
// a Kubernetes service host: name (same namespace only), name.ns,
// name.ns.svc, and the FQDN itself.
func ShortNames(s *Service, clientNS string) []string {
	if s.FromServiceEntry != nil {
		return []string{s.Hostname}
	}
	base := s.Name + "." + s.Namespace
	out := []string{s.Hostname}
	if s.Namespace == clientNS {
		out = append(out, s.Name)
	}
	return append(out, base, base+".svc")
}

// Visibility is an exportTo list.
type Visibility struct {
	// All is true for an empty list or one containing "*".
	All        bool
	Namespaces map[string]bool
}

// ParseExportTo reads an exportTo list of the object in namespace ns.
func ParseExportTo(list []string, ns string) Visibility {
	if len(list) == 0 {
		return Visibility{All: true}
	}
	v := Visibility{Namespaces: map[string]bool{}}
	for _, e := range list {
		switch e {
		case "*":
			v.All = true
		case ".":
			v.Namespaces[ns] = true
		default:
			v.Namespaces[e] = true
		}
	}
	return v
}

// VisibleTo reports whether a namespace may see the object.
func (v Visibility) VisibleTo(ns string) bool { return v.All || v.Namespaces[ns] }
