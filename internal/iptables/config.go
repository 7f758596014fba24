package iptables

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/sailplane/sailplane/internal/defaults"
)

// Mode is how inbound connections reach the proxy.
type Mode string

// The two interception modes of istio-iptables -m.
const (
	// ModeRedirect rewrites the destination (nat REDIRECT); the proxy reads
	// the original one back with SO_ORIGINAL_DST.
	ModeRedirect Mode = "REDIRECT"
	// ModeTProxy keeps the destination and delivers the packet to a
	// transparent socket (mangle TPROXY plus policy routing), so the proxy
	// also sees the client's real source address.
	ModeTProxy Mode = "TPROXY"
)

// Config is the validated form of Options: every value parsed, lists in
// the order given with duplicates dropped.
type Config struct {
	OutboundCapturePort uint16
	InboundCapturePort  uint16
	InboundTunnelPort   uint16
	ProxyUIDs           []uint32
	ProxyGIDs           []uint32
	Mode                Mode

	// CaptureAllOutbound is -i '*'; otherwise IncludeCIDRs lists the
	// captured destinations (none at all when empty).
	CaptureAllOutbound bool
	IncludeCIDRs       []netip.Prefix
	ExcludeCIDRs       []netip.Prefix

	// CaptureAllInbound is -b '*'; otherwise InboundPorts lists the
	// captured ports (inbound capture is off when both are unset).
	CaptureAllInbound    bool
	InboundPorts         []uint16
	ExcludeInboundPorts  []uint16
	ExcludeOutboundPorts []uint16
	IncludeOutboundPorts []uint16

	TProxyMark       uint32
	TProxyRouteTable uint32
}

// Config validates o. The error names every bad flag at once, so a broken
// pod spec is fixed in one round; nothing has been touched when it fails.
func (o Options) Config() (Config, error) {
	var c Config
	p := parser{}
	c.OutboundCapturePort = p.port("p", o.OutboundCapturePort)
	c.InboundCapturePort = p.port("z", o.InboundCapturePort)
	c.InboundTunnelPort = p.port("e", o.InboundTunnelPort)
	c.ProxyUIDs = p.ids("u", o.ProxyUID)
	if len(items(o.ProxyUID)) == 0 {
		// Without an exempt UID the proxy's own connections would be
		// captured again, looping forever.
		p.fail("u", o.ProxyUID, "at least one UID is required (the proxy's, normally 1337)")
	}
	c.ProxyGIDs = c.ProxyUIDs
	if o.ProxyGID != "" {
		c.ProxyGIDs = p.ids("g", o.ProxyGID)
	}
	c.Mode = p.mode("m", o.Mode)
	c.CaptureAllOutbound, c.IncludeCIDRs = p.cidrsOrAll("i", o.IncludeOutboundCIDRs)
	c.ExcludeCIDRs = p.cidrs("x", o.ExcludeOutboundCIDRs)
	c.CaptureAllInbound, c.InboundPorts = p.portsOrAll("b", o.IncludeInboundPorts)
	c.ExcludeInboundPorts = p.ports("d", o.ExcludeInboundPorts)
	c.ExcludeOutboundPorts = p.ports("o", o.ExcludeOutboundPorts)
	c.IncludeOutboundPorts = p.ports("q", o.IncludeOutboundPorts)
	c.TProxyMark = p.mark("t", o.TProxyMark)
	c.TProxyRouteTable = p.routeTable("r", o.TProxyRouteTable)
	return c, errors.Join(p.errs...)
}

// CapturesInbound reports whether any inbound port is captured.
func (c Config) CapturesInbound() bool {
	return c.CaptureAllInbound || len(c.InboundPorts) > 0
}

// includesLoopback mirrors istio-iptables: when an include range names a
// loopback address the user wants app-to-app traffic over lo captured too,
// so the "lo, not the proxy → RETURN" shortcut is left out.
func (c Config) includesLoopback() bool {
	for _, p := range c.IncludeCIDRs {
		if p.Addr().IsLoopback() {
			return true
		}
	}
	return false
}

func (p *parser) mode(name, s string) Mode {
	switch m := Mode(s); m {
	case ModeRedirect, ModeTProxy:
		return m
	}
	p.fail(name, s, fmt.Sprintf("unknown interception mode (want %s or %s)", ModeRedirect, ModeTProxy))
	return ModeRedirect
}

func (p *parser) mark(name, s string) uint32 {
	v, ok := p.uint32(name, s)
	switch {
	case !ok:
	case v == 0:
		p.fail(name, s, "a packet mark must not be 0 (unmarked packets carry 0)")
	case v == defaults.OutboundTProxyMark:
		p.fail(name, s, fmt.Sprintf("%d is reserved for the proxy's own connections", defaults.OutboundTProxyMark))
	}
	return v
}

func (p *parser) routeTable(name, s string) uint32 {
	v, ok := p.uint32(name, s)
	// 0 is "unspecified" and 253-255 are the kernel's default, main and
	// local tables: writing a catch-all local route there breaks the pod.
	if ok && (v == 0 || v >= 253 && v <= 255) {
		p.fail(name, s, "routing tables 0, 253, 254 and 255 are reserved by the kernel")
	}
	return v
}
