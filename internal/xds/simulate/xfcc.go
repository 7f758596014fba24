package simulate

import (
	"fmt"
	"strings"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// XFCCHash stands for the SHA-256 digest of the peer certificate in the
// XFCC elements the simulation writes (no certificate exists here).
const XFCCHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ForwardClientCert is req as the connection manager's filters (and the
// app) see it: its x-forwarded-client-cert header handled as Envoy's
// connection manager does (mutateXfccRequestHeader). ALWAYS_FORWARD_ONLY
// keeps it; without a peer certificate (peer false: plain text, or TLS
// without a client certificate) or under SANITIZE it is removed;
// FORWARD_ONLY keeps it; APPEND_FORWARD appends the peer's element after
// a "," and SANITIZE_SET replaces the header with it. The element is
// By=<self>;Hash=<digest>;URI=<req.PeerURI>, the fields sailplane asks
// for (By only when self is set); other fields are not simulated.
func ForwardClientCert(hcm *hcmv3.HttpConnectionManager, peer bool, self string, req Request) (Request, error) {
	mode := hcm.GetForwardClientCertDetails()
	if mode == hcmv3.HttpConnectionManager_ALWAYS_FORWARD_ONLY {
		return req, nil
	}
	sent, had := headerValue(req, names.ForwardedClientCertHeader)
	out := req
	out.Headers = map[string]string{}
	for k, v := range req.Headers {
		if !strings.EqualFold(k, names.ForwardedClientCertHeader) {
			out.Headers[k] = v
		}
	}
	if mode == hcmv3.HttpConnectionManager_SANITIZE || !peer {
		return out, nil
	}
	if mode == hcmv3.HttpConnectionManager_FORWARD_ONLY {
		return req, nil
	}
	el, err := xfccElement(hcm.GetSetCurrentClientCertDetails(), self, req.PeerURI)
	if err != nil {
		return Request{}, err
	}
	if mode == hcmv3.HttpConnectionManager_APPEND_FORWARD && had && sent != "" {
		el = sent + "," + el
	}
	out.Headers[names.ForwardedClientCertHeader] = el
	return out, nil
}

// xfccElement writes the peer's element in Envoy's field order (By,
// Hash, Cert, Chain, Subject, URI, DNS); the URI field is there, empty or
// not, whenever it is asked for.
func xfccElement(d *hcmv3.HttpConnectionManager_SetCurrentClientCertDetails, self, uri string) (string, error) {
	if d.GetCert() || d.GetChain() || d.GetSubject().GetValue() || d.GetDns() {
		return "", fmt.Errorf("set_current_client_cert_details %v: only uri is simulated", d)
	}
	var fields []string
	if self != "" {
		fields = append(fields, "By="+self)
	}
	fields = append(fields, "Hash="+XFCCHash)
	if d.GetUri() {
		fields = append(fields, "URI="+uri)
	}
	return strings.Join(fields, ";"), nil
}

// InboundChainHCM is the connection manager of the virtualInbound chain
// req's connection reaches, once its handshake is through; peer says the
// chain took a client certificate (mutual TLS).
func InboundChainHCM(res *xds.Resources, req Request) (*hcmv3.HttpConnectionManager, bool, error) {
	l := listenerNamed(res, names.VirtualInbound)
	if l == nil {
		return nil, false, fmt.Errorf("no listener %s", names.VirtualInbound)
	}
	fc, err := pickChain(l, req.conn())
	if err != nil {
		return nil, false, err
	}
	if err := handshakeErr(l, fc, req.conn()); err != nil {
		return nil, false, err
	}
	peer, _, _ := handshake(fc, req.conn())
	h := hcmOf(fc)
	if h == nil {
		return nil, false, fmt.Errorf("listener %s chain %q has no HTTP connection manager", l.Name, fc.Name)
	}
	return h, peer, nil
}

// GatewayChainHCM is the connection manager of the gateway chain a
// connection to port reaches (over TLS with sni when tls), once its
// handshake is through; peer says the chain took the client certificate
// the client presents (clientCert).
func GatewayChainHCM(res *xds.Resources, port uint32, tls bool, sni string, clientCert bool) (*hcmv3.HttpConnectionManager, bool, error) {
	fc, err := gatewayChain(res, port, tls, sni)
	if err != nil {
		return nil, false, err
	}
	c := Conn{Port: port, TLS: tls, SNI: sni, ClientCert: clientCert}
	peer, refused, err := handshake(fc, c)
	switch {
	case err != nil:
		return nil, false, err
	case refused != "":
		return nil, false, fmt.Errorf("gateway chain %q: handshake refused: %s", fc.GetName(), refused)
	}
	h := hcmOf(fc)
	if h == nil {
		return nil, false, fmt.Errorf("gateway chain %q has no HTTP connection manager", fc.GetName())
	}
	return h, peer, nil
}
