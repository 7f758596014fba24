package simulate

import (
	"fmt"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// Captured follows an outbound connection the capture rules sent to
// virtualOutbound: Envoy hands it to the listener for its original
// destination (`<address>_<port>`, else `0.0.0.0_<port>`) and, when there
// is none, virtualOutbound's own chains take it (PassthroughCluster under
// ALLOW_ANY, BlackHoleCluster under REGISTRY_ONLY).
func Captured(res *xds.Resources, c Conn) (TCPResult, error) {
	if l, err := outboundListener(res, c.Address, c.Port); err == nil {
		return tcpThrough(l, c)
	}
	l := listenerNamed(res, names.VirtualOutbound)
	if l == nil {
		return TCPResult{}, fmt.Errorf("no listener for %s:%d and no %s", c.Address, c.Port, names.VirtualOutbound)
	}
	return tcpThrough(l, c)
}
