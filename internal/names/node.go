package names

import (
	"fmt"
	"strings"
)

// ProxyType is the first field of an Istio node id.
type ProxyType string

const (
	Sidecar ProxyType = "sidecar"
	Router  ProxyType = "router"
)

// Node is a parsed node id: `<type>~<ip>~<pod>.<namespace>~<namespace>.svc.<domain>`.
type Node struct {
	Type      ProxyType
	IP        string
	Pod       string
	Namespace string
	Domain    string
}

// NodeID formats a node id as Istio's proxies announce it.
func NodeID(n Node) string {
	return fmt.Sprintf("%s~%s~%s.%s~%s.svc.%s", n.Type, n.IP, n.Pod, n.Namespace, n.Namespace, n.Domain)
}

// ParseNodeID parses a node id and says what is wrong with a malformed one.
func ParseNodeID(id string) (Node, error) {
	parts := strings.Split(id, "~")
	if len(parts) != 4 {
		return Node{}, fmt.Errorf("node id %q: want 4 fields separated by ~, got %d", id, len(parts))
	}
	t := ProxyType(parts[0])
	if t != Sidecar && t != Router {
		return Node{}, fmt.Errorf("node id %q: type %q is neither sidecar nor router", id, parts[0])
	}
	pod, ns, ok := strings.Cut(parts[2], ".")
	if !ok || pod == "" || ns == "" {
		return Node{}, fmt.Errorf("node id %q: third field %q is not <pod>.<namespace>", id, parts[2])
	}
	domain, ok := strings.CutPrefix(parts[3], ns+".svc.")
	if !ok || domain == "" {
		return Node{}, fmt.Errorf("node id %q: fourth field %q is not %s.svc.<domain>", id, parts[3], ns)
	}
	return Node{Type: t, IP: parts[1], Pod: pod, Namespace: ns, Domain: domain}, nil
}
