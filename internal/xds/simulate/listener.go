package simulate

import (
	"fmt"
	"slices"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// Conn is a connection as a listener sees it once its listener filters
// ran: where it was going and what the client's first bytes were.
type Conn struct {
	// Address is the original destination IP; empty means one no service
	// listens on (only 0.0.0.0_<port> can take it).
	Address string
	Port    uint32
	// HTTP is the plain-text protocol the client speaks: "http/1.1",
	// "h2c", or "" for anything that is not HTTP (a database protocol,
	// raw bytes).
	HTTP string
	// TLS says the client starts a TLS handshake (its own, or the mesh's
	// mutual TLS); SNI is the name it sends, ALPN the protocols it offers
	// (the TLS inspector reports them as the application protocols), and
	// ClientCert that it presents a mesh certificate when asked.
	TLS        bool
	SNI        string
	ALPN       []string
	ClientCert bool
}

// outboundListener is the listener Envoy hands a captured connection to:
// `<address>_<port>` when there is one, else `0.0.0.0_<port>`.
func outboundListener(res *xds.Resources, addr string, port uint32) (*listenerv3.Listener, error) {
	want := []string{names.OutboundHTTPListener(port)}
	if addr != "" {
		want = append([]string{names.OutboundTCPListener(addr, port)}, want...)
	}
	for _, n := range want {
		if l := listenerNamed(res, n); l != nil {
			return l, nil
		}
	}
	return nil, fmt.Errorf("no listener for %s:%d (looked for %v)", addr, port, want)
}

func listenerNamed(res *xds.Resources, name string) *listenerv3.Listener {
	for _, l := range res.Listeners {
		if l.Name == name {
			return l
		}
	}
	return nil
}

// detected is what the listener filters of l find on c: the transport
// protocol (the TLS inspector sets "tls" and the application protocols to
// the ClientHello's ALPN; otherwise raw_buffer) and, on plain text, the
// application protocol the HTTP inspector recognizes (it skips connections
// already found to be TLS, and TLS bytes are not HTTP to it). A filter
// whose filter_disabled matches c does not run.
func detected(l *listenerv3.Listener, c Conn) (transport string, apps []string) {
	transport = names.TransportProtocolRawBuffer
	for _, f := range l.ListenerFilters {
		if predicate(f.FilterDisabled, c.Port) {
			continue
		}
		switch f.Name {
		case names.TLSInspectorListenerFilter:
			if c.TLS {
				transport = names.TransportProtocolTLS
				apps = c.ALPN
			}
		case names.HTTPInspectorListenerFilter:
			if transport == names.TransportProtocolRawBuffer && !c.TLS && c.HTTP != "" {
				apps = []string{c.HTTP}
			}
		}
	}
	return transport, apps
}

// predicate evaluates a listener filter predicate for a destination port;
// an absent one matches nothing.
func predicate(p *listenerv3.ListenerFilterChainMatchPredicate, port uint32) bool {
	if p == nil {
		return false
	}
	switch r := p.Rule.(type) {
	case *listenerv3.ListenerFilterChainMatchPredicate_AnyMatch:
		return r.AnyMatch
	case *listenerv3.ListenerFilterChainMatchPredicate_NotMatch:
		return !predicate(r.NotMatch, port)
	case *listenerv3.ListenerFilterChainMatchPredicate_OrMatch:
		return slices.ContainsFunc(r.OrMatch.Rules, func(q *listenerv3.ListenerFilterChainMatchPredicate) bool { return predicate(q, port) })
	case *listenerv3.ListenerFilterChainMatchPredicate_AndMatch:
		for _, q := range r.AndMatch.Rules {
			if !predicate(q, port) {
				return false
			}
		}
		return true
	case *listenerv3.ListenerFilterChainMatchPredicate_DestinationPortRange:
		return int32(port) >= r.DestinationPortRange.Start && int32(port) < r.DestinationPortRange.End
	}
	return false
}

// pickChain selects l's filter chain for c as Envoy does: criterion by
// criterion (destination port, server name, transport protocol,
// application protocols), the chains that name a matching value win over
// those that name none, and a chain naming only other values is out; a
// level never goes back to chains an earlier one dropped. With no chain
// left the default filter chain takes the connection.
func pickChain(l *listenerv3.Listener, c Conn) (*listenerv3.FilterChain, error) {
	transport, apps := detected(l, c)
	cands := l.FilterChains
	levels := []func(*listenerv3.FilterChainMatch) (set, ok bool){
		func(m *listenerv3.FilterChainMatch) (bool, bool) {
			return m.GetDestinationPort() != nil, m.GetDestinationPort().GetValue() == c.Port
		},
		func(m *listenerv3.FilterChainMatch) (bool, bool) {
			return len(m.GetServerNames()) > 0, c.TLS && serverNameMatch(m.GetServerNames(), c.SNI) >= 0
		},
		func(m *listenerv3.FilterChainMatch) (bool, bool) {
			return m.GetTransportProtocol() != "", m.GetTransportProtocol() == transport
		},
		func(m *listenerv3.FilterChainMatch) (bool, bool) {
			return len(m.GetApplicationProtocols()) > 0, slices.ContainsFunc(apps, func(a string) bool { return slices.Contains(m.GetApplicationProtocols(), a) })
		},
	}
	for _, level := range levels {
		var matched, unset []*listenerv3.FilterChain
		for _, fc := range cands {
			set, ok := level(fc.GetFilterChainMatch())
			switch {
			case set && ok:
				matched = append(matched, fc)
			case !set:
				unset = append(unset, fc)
			}
		}
		if len(matched) == 0 {
			matched = unset
		}
		cands = matched
	}
	if len(cands) > 0 {
		return cands[0], nil
	}
	if l.DefaultFilterChain != nil {
		return l.DefaultFilterChain, nil
	}
	return nil, fmt.Errorf("no filter chain of %s matches %+v", l.Name, c)
}
