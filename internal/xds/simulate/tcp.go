package simulate

import (
	"fmt"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// TCPResult says where a connection that is not routed as HTTP goes.
type TCPResult struct {
	Listener string
	// Clusters with their weights; one entry with weight 0 for a single
	// cluster.
	Clusters map[string]uint32
}

// Cluster returns the single destination cluster, or "" for a split.
func (r TCPResult) Cluster() string { return Result{Clusters: r.Clusters}.Cluster() }

// OutboundTCP follows an outbound connection through the listener for its
// destination to the tcp_proxy of the filter chain it lands on; it is an
// error when that chain routes HTTP instead.
func OutboundTCP(res *xds.Resources, c Conn) (TCPResult, error) {
	l, err := outboundListener(res, c.Address, c.Port)
	if err != nil {
		return TCPResult{}, err
	}
	return tcpThrough(l, c)
}

// InboundTCP follows a connection captured by virtualInbound to the
// tcp_proxy of the chain it lands on.
func InboundTCP(res *xds.Resources, c Conn) (TCPResult, error) {
	l := listenerNamed(res, names.VirtualInbound)
	if l == nil {
		return TCPResult{}, fmt.Errorf("listener %s not found", names.VirtualInbound)
	}
	return tcpThrough(l, c)
}

func tcpThrough(l *listenerv3.Listener, c Conn) (TCPResult, error) {
	fc, err := pickChain(l, c)
	if err != nil {
		return TCPResult{}, err
	}
	if err := handshakeErr(l, fc, c); err != nil {
		return TCPResult{}, err
	}
	for _, f := range fc.Filters {
		switch f.Name {
		case names.HTTPConnectionManagerFilter:
			return TCPResult{}, fmt.Errorf("listener %s: the connection reaches an HTTP connection manager (chain %q)", l.Name, fc.Name)
		case names.TCPProxyFilter:
			var tp tcpv3.TcpProxy
			if err := f.GetTypedConfig().UnmarshalTo(&tp); err != nil {
				return TCPResult{}, err
			}
			out := TCPResult{Listener: l.Name, Clusters: map[string]uint32{}}
			if cl := tp.GetCluster(); cl != "" {
				out.Clusters[cl] = 0
			}
			for _, w := range tp.GetWeightedClusters().GetClusters() {
				out.Clusters[w.Name] = w.Weight
			}
			return out, nil
		}
	}
	return TCPResult{}, fmt.Errorf("listener %s: chain %q has no tcp_proxy", l.Name, fc.Name)
}
