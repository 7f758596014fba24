package xds

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"github.com/sailplane/sailplane/internal/pbany"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sailplane/sailplane/internal/names"
)

func mustAny(m proto.Message) *anypb.Any {
	a, err := pbany.New(m)
	if err != nil {
		panic(err) // only for messages we build ourselves; cannot fail
	}
	return a
}

func adsSource() *corev3.ConfigSource {
	return &corev3.ConfigSource{
		ResourceApiVersion:    corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
	}
}

// tcpProxy forwards a connection to one cluster.
func tcpProxy(statPrefix, cluster string) *listenerv3.Filter {
	return tcpProxyFilter(&tcpv3.TcpProxy{
		StatPrefix:       statPrefix,
		ClusterSpecifier: &tcpv3.TcpProxy_Cluster{Cluster: cluster},
	})
}

func tcpProxyFilter(tp *tcpv3.TcpProxy) *listenerv3.Filter {
	return &listenerv3.Filter{
		Name:       names.TCPProxyFilter,
		ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(tp)},
	}
}

// httpFilters returns the HTTP filter chain: fault and CORS only when a
// route uses them (an unused filter costs every request), router last.
func httpFilters(routes ...*routev3.RouteConfiguration) []*hcmv3.HttpFilter {
	var out []*hcmv3.HttpFilter
	if usesFilter(routes, names.FaultFilter) {
		out = append(out, httpFilter(names.FaultFilter, &faultv3.HTTPFault{}))
	}
	if usesFilter(routes, names.CORSFilter) {
		out = append(out, httpFilter(names.CORSFilter, &corsv3.Cors{}))
	}
	return append(out, httpFilter(names.RouterFilter, &routerv3.Router{}))
}

func httpFilter(name string, cfg proto.Message) *hcmv3.HttpFilter {
	return &hcmv3.HttpFilter{Name: name, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(cfg)}}
}

func usesFilter(rcs []*routev3.RouteConfiguration, filter string) bool {
	for _, rc := range rcs {
		for _, vh := range rc.GetVirtualHosts() {
			if _, ok := vh.GetTypedPerFilterConfig()[filter]; ok {
				return true
			}
			for _, r := range vh.GetRoutes() {
				if _, ok := r.GetTypedPerFilterConfig()[filter]; ok {
					return true
				}
			}
		}
	}
	return false
}

func hcmFilter(h *hcmv3.HttpConnectionManager) *listenerv3.Filter {
	return &listenerv3.Filter{
		Name:       names.HTTPConnectionManagerFilter,
		ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(h)},
	}
}

// chainsOf lists a listener's filter chains, its default chain included.
func chainsOf(l *listenerv3.Listener) []*listenerv3.FilterChain {
	if l.DefaultFilterChain == nil {
		return l.FilterChains
	}
	return append([]*listenerv3.FilterChain{l.DefaultFilterChain}, l.FilterChains...)
}
