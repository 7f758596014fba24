package iptables

import (
	"net/netip"

	"github.com/sailplane/sailplane/internal/defaults"
)

// Family is an IP address family; each has its own iptables tables and its
// own restore transaction.
type Family int

// The two families, in the order they are applied and printed.
const (
	IPv4 Family = iota
	IPv6
)

// Families lists both families in application order.
var Families = []Family{IPv4, IPv6}

func (f Family) String() string {
	if f == IPv6 {
		return "IPv6"
	}
	return "IPv4"
}

// command is the iptables tool name of this family ("iptables" or
// "ip6tables"), before any backend suffix.
func (f Family) command() string {
	if f == IPv6 {
		return "ip6tables"
	}
	return "iptables"
}

// ipFlag selects the family in iproute2 commands.
func (f Family) ipFlag() string {
	if f == IPv6 {
		return "-6"
	}
	return "-4"
}

// loopback is the single host address apps use to reach the proxy and each
// other directly, as iptables-save prints it.
func (f Family) loopback() string {
	if f == IPv6 {
		return defaults.LocalhostIPv6 + "/128"
	}
	return defaults.LocalhostIP + "/32"
}

// passthrough is the source address the proxy binds for inbound
// passthrough connections to the app; they must never be captured again.
func (f Family) passthrough() string {
	if f == IPv6 {
		return defaults.InboundPassthroughIPv6 + "/128"
	}
	return defaults.InboundPassthroughIP + "/32"
}

// anyAddr is TPROXY's --on-ip for "the address the packet was sent to".
func (f Family) anyAddr() string {
	if f == IPv6 {
		return "::"
	}
	return "0.0.0.0"
}

// defaultRoute is the all-addresses prefix of the family.
func (f Family) defaultRoute() string {
	if f == IPv6 {
		return "::/0"
	}
	return "0.0.0.0/0"
}

// only keeps the prefixes of this family: -i and -x mix both families and
// each restore transaction takes its own.
func (f Family) only(ps []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range ps {
		if p.Addr().Is6() == (f == IPv6) {
			out = append(out, p)
		}
	}
	return out
}
