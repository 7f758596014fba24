// Package simulate answers "where would this request go?" over generated
// Envoy resources, following Envoy's own matching rules for the parts
// sailplane emits: listener by port, virtual host by authority, first
// matching route by path, headers and query. Tests use it to check
// routing behaviour rather than proto shapes.
package simulate

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// Request is an outbound HTTP request from the proxy.
type Request struct {
	Authority string // host header, e.g. "reviews:9080"
	// Address is the destination IP the client connected to (a service's
	// virtual IP); empty for one no listener is bound to.
	Address string
	Port    uint32
	// HTTP2 says the client speaks HTTP/2 with prior knowledge (h2c)
	// rather than HTTP/1.1; it matters where the protocol is detected.
	HTTP2   bool
	Method  string
	Path    string // may carry a query string
	Headers map[string]string
	// TLS says the request came over TLS (to a gateway server that
	// terminates it, or a sidecar's mutual TLS); SNI is the name the
	// client sent, ALPN what it offered, ClientCert that it presents a
	// mesh certificate.
	TLS        bool
	ALPN       []string
	ClientCert bool
	SNI        string
	// PeerURI is the URI SAN of the client certificate (a SPIFFE id),
	// which the connection manager writes into x-forwarded-client-cert
	// (ForwardClientCert).
	PeerURI string
}

// Result says what the proxy does with the request.
type Result struct {
	// RouteConfig is the route configuration that decided.
	RouteConfig string
	VirtualHost string
	Route       string
	// Clusters with their weights; one entry with weight 0 for a plain
	// cluster route.
	Clusters map[string]uint32
	// Redirect or DirectStatus are set for non-forwarding routes.
	Redirect     bool
	DirectStatus uint32
}

// Cluster returns the single destination cluster, or "" when the route
// splits traffic or does not forward.
func (r Result) Cluster() string {
	if len(r.Clusters) != 1 {
		return ""
	}
	for c := range r.Clusters {
		return c
	}
	return ""
}

// HTTP routes req through the outbound listener Envoy picks for its
// destination (`<address>_<port>`, else `0.0.0.0_<port>`) and the filter
// chain its listener filters and matches select.
func HTTP(res *xds.Resources, req Request) (Result, error) {
	l, err := outboundListener(res, req.Address, req.Port)
	if err != nil {
		return Result{}, err
	}
	fc, err := pickChain(l, req.conn())
	if err != nil {
		return Result{}, err
	}
	rcName := hcmRDS(fc)
	if rcName == "" {
		return Result{}, fmt.Errorf("listener %s: the request reaches no HTTP connection manager with RDS (chain %q)", l.Name, fc.Name)
	}
	return routeNamed(res, rcName, req)
}

// InboundHTTP routes req, arriving for workload port req.Port, through
// virtualInbound's chain for it and that chain's inline route.
func InboundHTTP(res *xds.Resources, req Request) (Result, error) {
	l := listenerNamed(res, names.VirtualInbound)
	if l == nil {
		return Result{}, fmt.Errorf("listener %s not found", names.VirtualInbound)
	}
	fc, err := pickChain(l, req.conn())
	if err != nil {
		return Result{}, err
	}
	if err := handshakeErr(l, fc, req.conn()); err != nil {
		return Result{}, err
	}
	rc := hcmInline(fc)
	if rc == nil {
		return Result{}, fmt.Errorf("listener %s: the request reaches no HTTP connection manager with a route (chain %q)", l.Name, fc.Name)
	}
	r, err := routeIn(rc, req)
	r.RouteConfig = rc.Name
	return r, err
}

func (req Request) conn() Conn {
	c := Conn{Address: req.Address, Port: req.Port, HTTP: "http/1.1", TLS: req.TLS, SNI: req.SNI, ALPN: req.ALPN, ClientCert: req.ClientCert}
	if req.HTTP2 {
		c.HTTP = "h2c"
	}
	return c
}

func routeNamed(res *xds.Resources, rcName string, req Request) (Result, error) {
	for _, rc := range res.Routes {
		if rc.Name == rcName {
			r, err := routeIn(rc, req)
			r.RouteConfig = rcName
			return r, err
		}
	}
	return Result{}, fmt.Errorf("route configuration %q not found", rcName)
}

func hcmRDS(fc *listenerv3.FilterChain) string {
	return hcmOf(fc).GetRds().GetRouteConfigName()
}

func hcmInline(fc *listenerv3.FilterChain) *routev3.RouteConfiguration {
	return hcmOf(fc).GetRouteConfig()
}

func hcmOf(fc *listenerv3.FilterChain) *hcmv3.HttpConnectionManager {
	for _, f := range fc.Filters {
		if f.Name != names.HTTPConnectionManagerFilter {
			continue
		}
		var h hcmv3.HttpConnectionManager
		if f.GetTypedConfig().UnmarshalTo(&h) == nil {
			return &h
		}
	}
	return nil
}

func routeIn(rc *routev3.RouteConfiguration, req Request) (Result, error) {
	authority := strings.ToLower(req.Authority)
	if rc.IgnorePortInHostMatching {
		authority = stripPort(authority)
	}
	vh := pickVirtualHost(rc.VirtualHosts, authority)
	if vh == nil {
		return Result{}, fmt.Errorf("no virtual host for %q in %s", req.Authority, rc.Name)
	}
	if vh.RequireTls == routev3.VirtualHost_ALL && !req.TLS {
		// Envoy answers plain text with a 301 to https before routing.
		return Result{VirtualHost: vh.Name, Redirect: true}, nil
	}
	path, query, _ := strings.Cut(req.Path, "?")
	q, _ := url.ParseQuery(query)
	for _, r := range vh.Routes {
		if matches(r.Match, req, path, q) {
			return result(vh, r), nil
		}
	}
	return Result{VirtualHost: vh.Name}, fmt.Errorf("no route in %s matches %s", vh.Name, req.Path)
}

// stripPort drops a numeric port from a Host header, as Envoy does for a
// table that ignores ports: `a:80` and `[::1]:80` lose it; `a:b` (not a
// port) and a bare IPv6 address are kept whole.
func stripPort(host string) string {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || i == len(host)-1 || strings.LastIndexByte(host, ']') > i {
		return host
	}
	for _, c := range host[i+1:] {
		if c < '0' || c > '9' {
			return host
		}
	}
	if strings.HasPrefix(host, "[") || !strings.Contains(host[:i], ":") {
		return host[:i]
	}
	return host // an IPv6 address without brackets: its last group is no port
}

// pickVirtualHost applies Envoy's domain precedence: exact, then the
// longest suffix wildcard, then the longest prefix wildcard, then "*".
func pickVirtualHost(vhs []*routev3.VirtualHost, authority string) *routev3.VirtualHost {
	type cand struct {
		vh    *routev3.VirtualHost
		rank  int
		width int
	}
	var cs []cand
	for _, vh := range vhs {
		for _, d := range vh.Domains {
			switch {
			case d == authority:
				cs = append(cs, cand{vh, 0, len(d)})
			case d == "*":
				cs = append(cs, cand{vh, 3, 0})
			case strings.HasPrefix(d, "*") && strings.HasSuffix(authority, d[1:]):
				cs = append(cs, cand{vh, 1, len(d)})
			case strings.HasSuffix(d, "*") && strings.HasPrefix(authority, d[:len(d)-1]):
				cs = append(cs, cand{vh, 2, len(d)})
			}
		}
	}
	if len(cs) == 0 {
		return nil
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].rank != cs[j].rank {
			return cs[i].rank < cs[j].rank
		}
		return cs[i].width > cs[j].width
	})
	return cs[0].vh
}

func result(vh *routev3.VirtualHost, r *routev3.Route) Result {
	out := Result{VirtualHost: vh.Name, Route: r.Name, Clusters: map[string]uint32{}}
	switch a := r.Action.(type) {
	case *routev3.Route_Route:
		if c := a.Route.GetCluster(); c != "" {
			out.Clusters[c] = 0
		}
		for _, w := range a.Route.GetWeightedClusters().GetClusters() {
			out.Clusters[w.Name] = w.GetWeight().GetValue()
		}
	case *routev3.Route_Redirect:
		out.Redirect = true
	case *routev3.Route_DirectResponse:
		out.DirectStatus = a.DirectResponse.Status
	}
	return out
}

func matches(m *routev3.RouteMatch, req Request, path string, q url.Values) bool {
	if !pathMatches(m, path) {
		return false
	}
	for _, h := range m.Headers {
		if !headerMatches(h, req) {
			return false
		}
	}
	for _, qp := range m.QueryParameters {
		vals, ok := q[qp.Name]
		if !ok {
			return false
		}
		if sm := qp.GetStringMatch(); sm != nil && !stringMatches(sm, vals[0]) {
			return false
		}
	}
	return true
}

func pathMatches(m *routev3.RouteMatch, path string) bool {
	caseSensitive := m.GetCaseSensitive() == nil || m.GetCaseSensitive().GetValue()
	norm := func(s string) string {
		if caseSensitive {
			return s
		}
		return strings.ToLower(s)
	}
	switch p := m.PathSpecifier.(type) {
	case *routev3.RouteMatch_Prefix:
		return strings.HasPrefix(norm(path), norm(p.Prefix))
	case *routev3.RouteMatch_Path:
		return norm(path) == norm(p.Path)
	case *routev3.RouteMatch_SafeRegex:
		re, err := regexp.Compile("^(?:" + p.SafeRegex.Regex + ")$")
		return err == nil && re.MatchString(path)
	case *routev3.RouteMatch_PathSeparatedPrefix:
		return path == p.PathSeparatedPrefix || strings.HasPrefix(path, p.PathSeparatedPrefix+"/")
	}
	return false
}

func headerMatches(h *routev3.HeaderMatcher, req Request) bool {
	v, present := headerValue(req, h.Name)
	var ok bool
	switch {
	case h.GetPresentMatch():
		ok = present
	case h.GetStringMatch() != nil:
		ok = present && stringMatches(h.GetStringMatch(), v)
	default:
		ok = present
	}
	return ok != h.InvertMatch
}

func headerValue(req Request, name string) (string, bool) {
	switch name {
	case ":method":
		return req.Method, req.Method != ""
	case ":authority":
		return req.Authority, true
	case ":path":
		return req.Path, true
	case ":scheme":
		if req.TLS {
			return "https", true
		}
		return "http", true
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

func stringMatches(sm *matcherv3.StringMatcher, v string) bool {
	if sm.IgnoreCase {
		v = strings.ToLower(v)
	}
	lower := func(s string) string {
		if sm.IgnoreCase {
			return strings.ToLower(s)
		}
		return s
	}
	switch p := sm.MatchPattern.(type) {
	case *matcherv3.StringMatcher_Exact:
		return v == lower(p.Exact)
	case *matcherv3.StringMatcher_Prefix:
		return strings.HasPrefix(v, lower(p.Prefix))
	case *matcherv3.StringMatcher_Suffix:
		return strings.HasSuffix(v, lower(p.Suffix))
	case *matcherv3.StringMatcher_Contains:
		return strings.Contains(v, lower(p.Contains))
	case *matcherv3.StringMatcher_SafeRegex:
		re, err := regexp.Compile("^(?:" + p.SafeRegex.Regex + ")$")
		return err == nil && re.MatchString(v)
	}
	return false
}
