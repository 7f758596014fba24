package iptables

// outbound writes the nat rules for connections the pod opens:
// OUTPUT → ISTIO_OUTPUT, whose rules decide, first match wins, between
// RETURN (leave alone), ISTIO_IN_REDIRECT (the pod calling itself through a
// service: send it to the inbound side) and ISTIO_REDIRECT (to -p).
func outbound(nat *table, cfg Config, f Family) {
	for _, p := range cfg.ExcludeOutboundPorts {
		nat.add(ChainOutput, "-p tcp -m tcp --dport %d -j RETURN", p)
	}
	// The proxy's inbound passthrough connections to the app.
	nat.add(ChainOutput, "-s %s -o lo -j RETURN", f.passthrough())
	ownerRules(nat, cfg, f, "uid", cfg.ProxyUIDs)
	ownerRules(nat, cfg, f, "gid", cfg.ProxyGIDs)
	// Apps talking to localhost (each other, or the proxy's admin ports).
	nat.add(ChainOutput, "-d %s -j RETURN", f.loopback())
	for _, p := range f.only(cfg.ExcludeCIDRs) {
		nat.add(ChainOutput, "-d %s -j RETURN", p)
	}
	for _, p := range cfg.IncludeOutboundPorts {
		nat.add(ChainOutput, "-p tcp -m tcp --dport %d -j %s", p, ChainRedirect)
	}
	switch include := f.only(cfg.IncludeCIDRs); {
	case cfg.CaptureAllOutbound:
		nat.add(ChainOutput, "-j %s", ChainRedirect)
	case len(include) > 0:
		for _, p := range include {
			nat.add(ChainOutput, "-d %s -j %s", p, ChainRedirect)
		}
		nat.add(ChainOutput, "-j RETURN")
	}
	nat.add(ChainRedirect, "-p tcp -j REDIRECT --to-ports %d", cfg.OutboundCapturePort)
	nat.add("OUTPUT", "-p tcp -j %s", ChainOutput)
}

// ownerRules are the three rules per proxy UID (or GID), in Istio's order:
//   - from the proxy, over lo, to a pod address that is not 127.0.0.1: the
//     proxy is calling this very pod through a service, so the connection
//     must enter through the inbound side (except to the tunnel port, which
//     the proxy serves itself);
//   - over lo, not from the proxy: app to app on the pod address, left
//     alone (dropped when -i names loopback: the user wants that captured);
//   - anything else from the proxy: already proxied, never captured again.
func ownerRules(nat *table, cfg Config, f Family, kind string, ids []uint32) {
	for _, id := range ids {
		nat.add(ChainOutput, "! -d %s -o lo -p tcp -m tcp ! --dport %d -m owner --%s-owner %d -j %s",
			f.loopback(), cfg.InboundTunnelPort, kind, id, ChainInRedirect)
		if !cfg.includesLoopback() {
			nat.add(ChainOutput, "-o lo -m owner ! --%s-owner %d -j RETURN", kind, id)
		}
		nat.add(ChainOutput, "-m owner --%s-owner %d -j RETURN", kind, id)
	}
}
