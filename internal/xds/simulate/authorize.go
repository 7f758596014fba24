package simulate

import (
	"fmt"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	rbachttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	rbacnetv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// AuthzResult is what a proxy's RBAC filters do with a request reaching
// one of its filter chains.
type AuthzResult struct {
	Chain string
	// HTTP says the chain is an HTTP connection manager's (the request's
	// method, path, host and headers were seen); else only L4 was.
	HTTP bool
	// Refused says why the connection never got as far as the filters
	// (a handshake the chain's transport socket refuses).
	Refused string
	AuthzDecision
}

// InboundAuthz follows a connection into virtualInbound (the chain Envoy
// picks for c) and runs the chain's RBAC filters over req: the network
// filters before tcp_proxy, or the HTTP filters before the router.
func InboundAuthz(res *xds.Resources, c Conn, req AuthzRequest) (AuthzResult, error) {
	l := listenerNamed(res, names.VirtualInbound)
	if l == nil {
		return AuthzResult{}, fmt.Errorf("no listener %s", names.VirtualInbound)
	}
	fc, err := pickChain(l, c)
	if err != nil {
		return AuthzResult{Refused: err.Error()}, nil
	}
	if _, refused, err := handshake(fc, c); err != nil || refused != "" {
		return AuthzResult{Chain: fc.GetName(), Refused: refused}, err
	}
	if req.Port == 0 {
		req.Port = c.Port
	}
	return authorizeChain(fc, req)
}

// GatewayAuthz runs the RBAC filters of the gateway chain a connection to
// port (with TLS and SNI) reaches.
func GatewayAuthz(res *xds.Resources, port uint32, tls bool, sni string, req AuthzRequest) (AuthzResult, error) {
	fc, err := gatewayChain(res, port, tls, sni)
	if err != nil {
		return AuthzResult{}, err
	}
	if req.Port == 0 {
		req.Port = port
	}
	return authorizeChain(fc, req)
}

func authorizeChain(fc *listenerv3.FilterChain, req AuthzRequest) (AuthzResult, error) {
	rules, http, err := ChainRBAC(fc)
	if err != nil {
		return AuthzResult{}, err
	}
	req.HTTP = http
	d, err := EvalRBAC(rules, req)
	return AuthzResult{Chain: fc.GetName(), HTTP: http, AuthzDecision: d}, err
}

// ChainRBAC lists a filter chain's RBAC configurations in the order Envoy
// runs them, and whether the chain serves HTTP.
func ChainRBAC(fc *listenerv3.FilterChain) ([]*rbacv3.RBAC, bool, error) {
	var out []*rbacv3.RBAC
	http := false
	for _, f := range fc.GetFilters() {
		msg, err := f.GetTypedConfig().UnmarshalNew()
		if err != nil {
			return nil, false, err
		}
		switch cfg := msg.(type) {
		case *rbacnetv3.RBAC:
			out = append(out, cfg.GetRules())
		case *hcmv3.HttpConnectionManager:
			http = true
			rules, err := HTTPFilterRBAC(cfg.GetHttpFilters())
			if err != nil {
				return nil, false, err
			}
			out = append(out, rules...)
		}
	}
	return out, http, nil
}

// HTTPFilterRBAC lists the RBAC configurations of an HTTP filter list (an
// HCM's, or a proxyless gRPC server's), in order.
func HTTPFilterRBAC(filters []*hcmv3.HttpFilter) ([]*rbacv3.RBAC, error) {
	var out []*rbacv3.RBAC
	for _, hf := range filters {
		var cfg rbachttpv3.RBAC
		if !hf.GetTypedConfig().MessageIs(&cfg) {
			continue
		}
		if err := hf.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
			return nil, err
		}
		if cfg.GetRules() != nil {
			out = append(out, cfg.GetRules())
		}
	}
	return out, nil
}
