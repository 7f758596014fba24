package iptables

import "strings"

// HasGlobalIPv6 reads /proc/net/if_inet6 and reports whether any interface
// has an IPv6 address of global scope. Loopback (::1) and link-local
// (fe80::/10) addresses exist in IPv4-only pods too and say nothing about
// whether the pod speaks IPv6; a global address (which includes ULAs such
// as fd00::/8) means the pod was given an IPv6 address and its IPv6 traffic
// must be captured as well. Columns: address, ifindex, prefix length,
// scope, flags, name; scope 00 is global.
func HasGlobalIPv6(ifInet6 string) bool {
	for _, line := range strings.Split(ifInet6, "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && f[3] == "00" {
			return true
		}
	}
	return false
}
