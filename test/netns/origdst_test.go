package netns

import (
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/sys/unix"
)

// ip6tSoOriginalDst is IP6T_SO_ORIGINAL_DST from
// linux/netfilter_ipv6/ip6_tables.h (x/sys/unix names only the IPv4 one;
// the value is the same, the level differs).
const ip6tSoOriginalDst = 80

// originalDst asks conntrack where an accepted connection was going before
// a nat REDIRECT rewrote it, exactly as Envoy's original_dst listener filter
// does. For a connection nat left alone it is the socket's own address.
func originalDst(c *net.TCPConn, ipv6 bool) (netip.AddrPort, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return netip.AddrPort{}, err
	}
	var ap netip.AddrPort
	var opErr error
	err = raw.Control(func(fd uintptr) {
		if ipv6 {
			ap, opErr = originalDst6(int(fd))
		} else {
			ap, opErr = originalDst4(int(fd))
		}
	})
	if err != nil {
		return netip.AddrPort{}, err
	}
	return ap, opErr
}

// originalDst4 reads a struct sockaddr_in. GetsockoptIPv6Mreq is only a
// 20-byte buffer here: family (2 bytes), port (2, network order), address.
func originalDst4(fd int) (netip.AddrPort, error) {
	m, err := unix.GetsockoptIPv6Mreq(fd, unix.SOL_IP, unix.SO_ORIGINAL_DST)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("getsockopt(SO_ORIGINAL_DST): %w", err)
	}
	b := m.Multiaddr
	port := uint16(b[2])<<8 | uint16(b[3])
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), port), nil
}

// originalDst6 reads a struct sockaddr_in6 through the 32-byte
// IPv6MTUInfo buffer, whose first field has exactly that layout.
func originalDst6(fd int) (netip.AddrPort, error) {
	info, err := unix.GetsockoptIPv6MTUInfo(fd, unix.SOL_IPV6, ip6tSoOriginalDst)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("getsockopt(IP6T_SO_ORIGINAL_DST): %w", err)
	}
	// The port was copied in network byte order into a host-order field.
	p := info.Addr.Port
	port := p>>8 | p<<8
	return netip.AddrPortFrom(netip.AddrFrom16(info.Addr.Addr), port), nil
}
