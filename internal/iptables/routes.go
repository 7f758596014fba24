package iptables

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sailplane/sailplane/internal/defaults"
)

// outboundTProxyMark is the mark of the proxy's own connections to the pod.
const outboundTProxyMark = defaults.OutboundTProxyMark

// RouteStep is one iproute2 command ("ip" plus Args). When Check is set the
// step runs only if Present says Check's output lacks it: `ip rule add` is
// not idempotent, unlike `replace`.
type RouteStep struct {
	Args    []string
	Check   []string
	Present func(checkOutput string) bool
}

func (s RouteStep) String() string {
	cmd := "ip " + strings.Join(s.Args, " ")
	if s.Check != nil {
		cmd += "  (unless `ip " + strings.Join(s.Check, " ") + "` lists it)"
	}
	return cmd
}

// tproxyRoutes are the policy routes TPROXY needs: packets carrying the mark
// are looked up in a table whose only route says "every address is local",
// so the kernel delivers them to the transparent listener instead of
// forwarding them.
func tproxyRoutes(cfg Config, f Family) []RouteStep {
	mark, table := fmt.Sprint(cfg.TProxyMark), fmt.Sprint(cfg.TProxyRouteTable)
	return []RouteStep{
		{
			Args:  []string{f.ipFlag(), "rule", "add", "fwmark", mark, "lookup", table},
			Check: []string{f.ipFlag(), "rule", "show"},
			Present: func(out string) bool {
				return hasFwmarkRule(out, cfg.TProxyMark, cfg.TProxyRouteTable)
			},
		},
		{Args: []string{f.ipFlag(), "route", "replace", "local", f.defaultRoute(), "dev", "lo", "table", table}},
	}
}

// passthroughAddress puts ::6 on lo. IPv4 needs nothing (127.0.0.6 is in
// lo's 127.0.0.0/8), but IPv6 loopback is one /128, and the proxy binds ::6
// as the source of inbound passthrough connections.
func passthroughAddress() RouteStep {
	return RouteStep{Args: []string{"-6", "addr", "replace", defaults.InboundPassthroughIPv6 + "/128", "dev", "lo"}}
}

// hasFwmarkRule reports whether `ip rule show` output holds a rule sending
// mark (with no mask, as we add it) to table.
func hasFwmarkRule(out string, mark, table uint32) bool {
	want := []string{"fwmark", hexMark(mark), "lookup", fmt.Sprint(table)}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		for i := 0; i+len(want) <= len(f); i++ {
			if slices.Equal(f[i:i+len(want)], want) {
				return true
			}
		}
	}
	return false
}

// hexMark prints a mark the way iptables-save and `ip rule` do.
func hexMark(m uint32) string { return fmt.Sprintf("0x%x", m) }
