package simulate

import (
	"fmt"
	"sort"
	"strings"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// Gateway routes req through a gateway proxy's listener for req.Port
// (`0.0.0.0_<port>`): the filter chain is picked by req.SNI the way Envoy
// does, then the request goes through that chain's route configuration
// (`http.<port>`, or an HTTPS server's own). A plain-text request to a
// virtual host that requires TLS comes back as a redirect.
func Gateway(res *xds.Resources, req Request) (Result, error) {
	fc, err := gatewayChain(res, req.Port, req.TLS, req.SNI)
	if err != nil {
		return Result{}, err
	}
	rcName := hcmRDS(fc)
	if rcName == "" {
		return Result{}, fmt.Errorf("filter chain %v of port %d has no HTTP connection manager", fc.GetFilterChainMatch().GetServerNames(), req.Port)
	}
	return routeNamed(res, rcName, req)
}

// TCP says where a gateway forwards a connection to port: over TLS with
// the SNI (sni non-empty), or in plain text. The result is the tcp_proxy's
// clusters with their weights (0 for a single cluster).
func TCP(res *xds.Resources, port uint32, sni string) (map[string]uint32, error) {
	fc, err := gatewayChain(res, port, sni != "", sni)
	if err != nil {
		return nil, err
	}
	for _, f := range fc.Filters {
		if f.Name != names.TCPProxyFilter {
			continue
		}
		var tp tcpv3.TcpProxy
		if err := f.GetTypedConfig().UnmarshalTo(&tp); err != nil {
			return nil, err
		}
		out := map[string]uint32{}
		if c := tp.GetCluster(); c != "" {
			out[c] = 0
		}
		for _, w := range tp.GetWeightedClusters().GetClusters() {
			out[w.Name] = w.Weight
		}
		return out, nil
	}
	return nil, fmt.Errorf("filter chain %v of port %d has no tcp_proxy", fc.GetFilterChainMatch().GetServerNames(), port)
}

// gatewayChain picks the filter chain of the port's listener as Envoy does
// for a connection: an exact server name, else the longest wildcard
// server name, else a chain without server names. A plain-text connection
// only reaches chains that neither match names nor terminate TLS.
func gatewayChain(res *xds.Resources, port uint32, tls bool, sni string) (*listenerv3.FilterChain, error) {
	name := names.GatewayListener(port)
	var l *listenerv3.Listener
	for _, x := range res.Listeners {
		if x.Name == name {
			l = x
		}
	}
	if l == nil {
		return nil, fmt.Errorf("listener %s not found", name)
	}
	type cand struct {
		fc    *listenerv3.FilterChain
		width int // length of the matched name; -1 for a chain without names
	}
	var cs []cand
	for _, fc := range l.FilterChains {
		sn := fc.GetFilterChainMatch().GetServerNames()
		switch {
		case !tls && (len(sn) > 0 || fc.GetTransportSocket() != nil):
		case len(sn) == 0:
			cs = append(cs, cand{fc, -1})
		default:
			if w := serverNameMatch(sn, strings.ToLower(sni)); w >= 0 {
				cs = append(cs, cand{fc, w})
			}
		}
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("no filter chain of %s matches (TLS %v, SNI %q)", name, tls, sni)
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].width > cs[j].width })
	return cs[0].fc, nil
}

// serverNameMatch returns how specific the best match of sni among the
// names is (an exact match beats any wildcard), or -1.
func serverNameMatch(names []string, sni string) int {
	best := -1
	for _, n := range names {
		switch {
		case n == sni:
			return 1 << 16
		case strings.HasPrefix(n, "*.") && strings.HasSuffix(sni, n[1:]) && len(n) > best:
			best = len(n)
		}
	}
	return best
}
