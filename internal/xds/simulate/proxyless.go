package simulate

import (
	"fmt"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/sailplane/sailplane/internal/xds"
)

// Proxyless routes a call of a proxyless gRPC client: the api_listener
// named as the client dials (req.Authority, "host:port"), its RDS route
// configuration, the virtual host and route that match.
func Proxyless(res *xds.Resources, req Request) (Result, error) {
	l := listenerNamed(res, req.Authority)
	if l == nil || l.GetApiListener() == nil {
		return Result{}, fmt.Errorf("no api_listener %q", req.Authority)
	}
	var h hcmv3.HttpConnectionManager
	if err := l.GetApiListener().GetApiListener().UnmarshalTo(&h); err != nil {
		return Result{}, fmt.Errorf("api_listener %q: %v", req.Authority, err)
	}
	return routeNamed(res, h.GetRds().GetRouteConfigName(), req)
}
