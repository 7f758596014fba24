package iptables

// inboundExclusions writes the RETURNs that keep ports away from the
// proxy: the HBONE tunnel port always (the proxy listens on it itself), then
// -d. They come before any capture rule, so an excluded port stays excluded
// even when -b names it too; Istio ignores -d unless -b is '*', which would
// capture the health port if a pod listed it.
func inboundExclusions(t *table, cfg Config) {
	t.add(ChainInbound, "-p tcp -m tcp --dport %d -j RETURN", cfg.InboundTunnelPort)
	for _, p := range cfg.ExcludeInboundPorts {
		if p != cfg.InboundTunnelPort {
			t.add(ChainInbound, "-p tcp -m tcp --dport %d -j RETURN", p)
		}
	}
}

// inboundRedirect is REDIRECT mode's inbound capture in the nat table:
// PREROUTING → ISTIO_INBOUND → ISTIO_IN_REDIRECT (REDIRECT to -z).
func inboundRedirect(nat *table, cfg Config) {
	inboundExclusions(nat, cfg)
	if cfg.CaptureAllInbound {
		nat.add(ChainInbound, "-p tcp -j %s", ChainInRedirect)
	}
	for _, p := range cfg.InboundPorts {
		nat.add(ChainInbound, "-p tcp -m tcp --dport %d -j %s", p, ChainInRedirect)
	}
	nat.add("PREROUTING", "-p tcp -j %s", ChainInbound)
}

// inboundTProxy is TPROXY mode's inbound capture in the mangle table. New
// connections go to ISTIO_TPROXY, which hands them to the transparent
// listener on -z with the destination untouched; packets of connections
// already established are only marked (ISTIO_DIVERT) so policy routing
// delivers them locally. The OUTPUT and PREROUTING mark rules let the
// proxy's own connections to the app over lo, and their replies, bypass
// the capture.
func inboundTProxy(mangle *table, cfg Config, f Family) {
	mark, outMark := hexMark(cfg.TProxyMark), hexMark(outboundTProxyMark)
	mangle.add(ChainDivert, "-j MARK --set-xmark %s/0xffffffff", mark)
	mangle.add(ChainDivert, "-j ACCEPT")

	// Already diverted once: never again (prevents loops).
	mangle.add(ChainInbound, "-p tcp -m mark --mark %s -j RETURN", mark)
	// The proxy's passthrough connections to the app.
	mangle.add(ChainInbound, "-s %s -i lo -p tcp -j RETURN", f.passthrough())
	// App to app over lo, unless the proxy marked it as its own.
	mangle.add(ChainInbound, "-i lo -p tcp -m mark ! --mark %s -j RETURN", outMark)
	inboundExclusions(mangle, cfg)
	if cfg.CaptureAllInbound {
		mangle.add(ChainInbound, "-p tcp -m conntrack --ctstate RELATED,ESTABLISHED -j %s", ChainDivert)
		mangle.add(ChainInbound, "-p tcp -j %s", ChainTProxy)
	}
	for _, p := range cfg.InboundPorts {
		mangle.add(ChainInbound, "-p tcp -m tcp --dport %d -m conntrack --ctstate RELATED,ESTABLISHED -j %s", p, ChainDivert)
		mangle.add(ChainInbound, "-p tcp -m tcp --dport %d -j %s", p, ChainTProxy)
	}
	mangle.add(ChainTProxy, "! -d %s -p tcp -j TPROXY --on-port %d --on-ip %s --tproxy-mark %s/0xffffffff",
		f.loopback(), cfg.InboundCapturePort, f.anyAddr(), mark)

	mangle.add("PREROUTING", "-p tcp -j %s", ChainInbound)
	mangle.add("PREROUTING", "-p tcp -m mark --mark %s -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff", mark)
	mangle.add("OUTPUT", "-o lo -p tcp -m mark --mark %s -j RETURN", mark)
	for _, id := range cfg.ProxyUIDs {
		mangle.add("OUTPUT", "! -d %s -o lo -p tcp -m owner --uid-owner %d -j MARK --set-xmark %s/0xffffffff", f.loopback(), id, outMark)
	}
	for _, id := range cfg.ProxyGIDs {
		mangle.add("OUTPUT", "! -d %s -o lo -p tcp -m owner --gid-owner %d -j MARK --set-xmark %s/0xffffffff", f.loopback(), id, outMark)
	}
	mangle.add("OUTPUT", "-p tcp -m connmark --mark %s -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff", mark)
}
