package xds

import (
	"fmt"
	"sort"
	"strings"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// serverKind is what a gateway server does with a connection.
type serverKind int

const (
	plainHTTP       serverKind = iota // HTTP routes, no TLS
	plainTCP                          // tcp routes, no TLS
	terminatedHTTPS                   // TLS terminated here, then HTTP routes
	terminatedTCP                     // TLS terminated here, then tcp routes
	passthroughTLS                    // tls routes by SNI, TLS left to the backend
	autoPassthrough                   // SNI names the cluster; TLS left to the backend
)

func (k serverKind) String() string {
	return [...]string{"HTTP", "TCP", "HTTPS", "TLS (terminated)", "TLS (passthrough)", "TLS (auto passthrough)"}[k]
}

func (k serverKind) plain() bool { return k == plainHTTP || k == plainTCP }

// gwServer is one Gateway server as this proxy serves it.
type gwServer struct {
	gw    *networkingv1.Gateway
	name  string // the Gateway as "namespace/name"
	idx   int
	spec  *networkingv1.Server
	hosts []model.ServerHost
	kind  serverKind
	// port is the listener port; spec.Port.Number is the port the Gateway
	// wrote (route matches and HTTPS route names use that one).
	port uint32
	// tls is the context for servers that terminate TLS.
	tls *tlsv3.DownstreamTlsContext
}

func (s *gwServer) ref() model.ObjectRef {
	return model.ObjectRef{Kind: "Gateway", NamespacedName: types.NamespacedName{Namespace: s.gw.Namespace, Name: s.gw.Name}}
}

func (s *gwServer) field(f string) string { return fmt.Sprintf("servers[%d].%s", s.idx, f) }

func (s *gwServer) serverPort() uint32 { return uint32(s.spec.Port.Number) }

func (s *gwServer) httpsRedirect() bool { return s.spec.TLS != nil && s.spec.TLS.HTTPSRedirect }

func (s *gwServer) String() string { return fmt.Sprintf("Gateway %s servers[%d]", s.name, s.idx) }

// gwPort is everything one listener port serves: either plain HTTP servers
// (merged into one route configuration), or one plain TCP server, or TLS
// servers told apart by SNI. Istio allows no other mix on a port.
type gwPort struct {
	number  uint32
	servers []*gwServer
	// sni records who claimed each SNI name on a TLS port, since Envoy
	// rejects a listener whose filter chains match the same name.
	sni map[string]sniOwner
	// httpsRoutes holds the HTTPS route names in use on the port.
	httpsRoutes map[string]bool
}

// sniOwner is what claimed an SNI name: a server by its hosts, or a
// filter chain some rule asks for.
type sniOwner struct {
	desc string
	// server is set when the name is one of that server's hosts; the
	// server's own tls routes may then match it too.
	server *gwServer
}

// gatewayPorts collects the servers of the proxy's Gateways (oldest
// Gateway first, servers in order) by listener port. Servers that cannot
// be served, or that clash with an earlier server on their port, are
// reported and left out.
func (g *generator) gatewayPorts() []*gwPort {
	byPort := map[uint32]*gwPort{}
	for _, name := range g.gateways {
		gw := g.m.Gateway(name)
		if gw == nil {
			continue
		}
		for i := range gw.Spec.Servers {
			if s := g.gatewayServer(gw, name, i); s != nil {
				g.placeServer(byPort, s)
			}
		}
	}
	out := make([]*gwPort, 0, len(byPort))
	for _, p := range byPort {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].number < out[j].number })
	return out
}

// gatewayServer reads server i of gw, or reports why it cannot be served.
func (g *generator) gatewayServer(gw *networkingv1.Gateway, name string, i int) *gwServer {
	spec := &gw.Spec.Servers[i]
	s := &gwServer{gw: gw, name: name, idx: i, spec: spec, hosts: model.ParseServerHosts(spec.Hosts, gw.Namespace)}
	s.port = g.listenerPort(uint32(spec.Port.Number))
	kind, err := classifyServer(spec)
	if err != nil {
		g.problem(s.ref(), s.field("tls"), err.Error()+model.ServerLeftOut)
		return nil
	}
	s.kind = kind
	if (kind == terminatedHTTPS || kind == terminatedTCP) && spec.TLS.Mode == model.ServerTLSIstioMutual {
		ctx, field, err := istioMutualServerTLS(s)
		if err != nil {
			g.problem(s.ref(), s.field(strings.TrimSuffix("tls."+field, ".")), err.Error()+model.ServerLeftOut)
			return nil
		}
		s.tls = ctx
	} else if kind == terminatedHTTPS || kind == terminatedTCP {
		creds, p := g.m.ServerCredentials(gw, i, g.proxy.Namespace)
		if p != nil {
			g.problem(s.ref(), p.Field, p.Reason)
			return nil
		}
		ctx, field, err := g.downstreamTLS(s, creds)
		if err != nil {
			g.problem(s.ref(), s.field(strings.TrimSuffix("tls."+field, ".")), err.Error()+model.ServerLeftOut)
			return nil
		}
		s.tls = ctx
	}
	return s
}

// classifyServer decides a server's kind from its protocol and tls.mode.
// An HTTP server's tls block only ever asks for httpsRedirect.
func classifyServer(spec *networkingv1.Server) (serverKind, error) {
	proto := model.ParseProtocol(spec.Port.Protocol)
	t := spec.TLS
	switch {
	case proto.IsHTTP():
		return plainHTTP, nil
	case t == nil && (proto == model.HTTPS || proto == model.TLS):
		return 0, fmt.Errorf("a %s server needs tls settings", proto)
	case t == nil:
		return plainTCP, nil
	}
	switch t.Mode {
	case "", model.ServerTLSPassthrough: // PASSTHROUGH is Istio's default mode
		return passthroughTLS, nil
	case model.ServerTLSAutoPassthrough:
		return autoPassthrough, nil
	case model.ServerTLSSimple, model.ServerTLSMutual, model.ServerTLSOptionalMutual, model.ServerTLSIstioMutual:
		if proto == model.HTTPS {
			return terminatedHTTPS, nil
		}
		return terminatedTCP, nil
	}
	return 0, fmt.Errorf("unknown mode %q", t.Mode)
}

// listenerPort is the port the proxy listens on for a Gateway port. When
// a Service selecting the gateway pod exposes that port, Istio listens on
// its target port instead, so a Gateway may say 80 while an unprivileged
// Envoy listens on 8080; otherwise the number is used as is.
func (g *generator) listenerPort(n uint32) uint32 {
	for _, h := range g.m.Hostnames {
		svc := g.m.Services[h]
		if svc.FromServiceEntry != nil || svc.Namespace != g.proxy.Namespace || !selects(svc.Selector, g.proxy.Labels) {
			continue
		}
		p := svc.Port(n)
		if p == nil {
			continue
		}
		if p.TargetPort.Name == "" {
			return p.TargetPort.Number
		}
		if w := g.proxy.Workload; w != nil {
			if t, ok := w.ContainerPorts[p.TargetPort.Name]; ok {
				return t
			}
		}
	}
	return n
}

// placeServer adds s to its port unless it clashes with the servers
// already there, following Istio's merge rules.
func (g *generator) placeServer(byPort map[uint32]*gwPort, s *gwServer) {
	p := byPort[s.port]
	if p == nil {
		p = &gwPort{number: s.port, sni: map[string]sniOwner{}, httpsRoutes: map[string]bool{}}
		byPort[s.port] = p
	} else if first := p.servers[0]; first.kind.plain() || s.kind.plain() {
		if first.kind != plainHTTP || s.kind != plainHTTP {
			g.problem(s.ref(), s.field("port"), fmt.Sprintf(
				"port %d already carries %s for %s; a port serves plain HTTP servers, one TCP server, or TLS servers told apart by SNI"+model.ServerLeftOut,
				s.port, first.kind, first))
			return
		}
	}
	if !s.kind.plain() && !g.claimServerHosts(p, s) {
		return
	}
	p.servers = append(p.servers, s)
}

// claimServerHosts reserves a TLS server's hosts (its SNI names) on the
// port and its HTTPS route name; a clash leaves the server out.
func (g *generator) claimServerHosts(p *gwPort, s *gwServer) bool {
	for i, h := range s.hosts {
		if owner, taken := p.sni[h.Host]; taken {
			g.problem(s.ref(), s.field(fmt.Sprintf("hosts[%d]", i)), fmt.Sprintf(
				"host %q on port %d is already served by %s"+model.ServerLeftOut, h.Host, p.number, owner.desc))
			return false
		}
	}
	if s.kind == terminatedHTTPS {
		rn := g.httpsRouteName(s)
		if p.httpsRoutes[rn] {
			g.problem(s.ref(), s.field("port.name"), fmt.Sprintf(
				"another HTTPS server of the Gateway on port %d has port name %q; names must differ"+model.ServerLeftOut, p.number, s.spec.Port.Name))
			return false
		}
		p.httpsRoutes[rn] = true
	}
	for _, h := range s.hosts {
		p.sni[h.Host] = sniOwner{desc: s.String(), server: s}
	}
	return true
}

func (g *generator) httpsRouteName(s *gwServer) string {
	return names.GatewayHTTPSRouteConfig(s.serverPort(), s.spec.Port.Name, s.gw.Name, s.gw.Namespace)
}
