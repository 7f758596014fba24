package bench

import (
	"context"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"slices"
	"time"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
)

// sotwStream is one proxy's state-of-the-world ADS stream. Envoy's order:
// CDS (wildcard), then EDS for the EDS clusters, then LDS (wildcard) once
// the clusters are warm, then RDS for the route names the listeners use;
// every response is ACKed with its version and nonce, and a changed set of
// names is asked for with the last accepted version and nonce of the type.
type sotwStream struct {
	p         *proxy
	node      *corev3.Node
	stream    *adsStream
	sentNode  bool
	requested [numTypes]bool
	names     [numTypes][]string
	// namesWire is names encoded as the request's resource_names field:
	// Envoy repeats the whole list in every ACK, and encoding it once per
	// change of the list keeps that cost off the cores the control plane
	// is measured on (the bytes sent are the same).
	namesWire [numTypes][]byte
	version   [numTypes]string
	nonce     [numTypes]string
	// renamed: the names asked for changed since the last response.
	renamed [numTypes]bool
}

func (p *proxy) runSotW(ctx context.Context, c streamAuth) error {
	stream, err := openADS(ctx, p.conn, methodSotW, c.token)
	if err != nil {
		return err
	}
	s := &sotwStream{p: p, node: c.node, stream: stream}
	if err := s.request(typeCDS, ""); err != nil {
		return err
	}
	p.f.connected()
	for {
		frame, err := stream.recv()
		if err != nil {
			return err
		}
		buf := valueBufs.Get().(*[]rope)
		resp, err := parseSotWFrom(frame.rope(), *buf)
		if err == nil {
			err = s.handle(resp)
		}
		clear(resp.values) // let the response's buffers go
		*buf = resp.values[:0]
		valueBufs.Put(buf)
		frame.free()
		if err != nil {
			return err
		}
	}
}

// request sends the type's current subscription; nonce is the response
// being ACKed ("" for a subscription change or the first request).
func (s *sotwStream) request(typ int, errMsg string) error {
	req := &discoveryv3.DiscoveryRequest{
		TypeUrl: typeURLs[typ], VersionInfo: s.version[typ], ResponseNonce: s.nonce[typ],
	}
	if errMsg != "" {
		req.ErrorDetail = &statuspb.Status{Code: 3, Message: errMsg}
	}
	if !s.sentNode {
		req.Node, s.sentNode = s.node, true
	}
	s.requested[typ] = true
	return s.stream.send(&withNames{req: req, names: s.namesWire[typ]})
}

func (s *sotwStream) handle(resp sotwFrame) error {
	typ, ok := typeOf(resp.typeURL)
	if !ok {
		return nil // not a type a sidecar asks for
	}
	es := make([]*entry, 0, len(resp.values))
	for _, raw := range resp.values {
		e, err := s.p.f.store.entry(typ, raw)
		if err != nil {
			s.p.f.count(true)
			s.nonce[typ] = resp.nonce // NACK: keep the accepted version
			return s.request(typ, err.Error())
		}
		es = append(es, e)
	}
	var st *typeState
	if typ == typeEDS || typ == typeRDS {
		// Envoy keeps the load assignments and routes a response leaves
		// out (the server sends those that changed) and drops the ones it
		// no longer asks for.
		st = s.p.f.store.apply(typ, s.p.get()[typ], es, s.dropped(typ))
	} else {
		st = s.p.f.store.replace(typ, es) // the complete set
	}
	s.version[typ], s.nonce[typ] = resp.version, resp.nonce
	at := time.Now()
	if err := s.request(typ, ""); err != nil { // the ACK
		return err
	}
	s.p.f.accepted(s.p, typ, st, at)
	return s.next(typ, st)
}

// dropped lists what the proxy holds of typ but no longer asks for, once
// after each change of the names it asks for.
func (s *sotwStream) dropped(typ int) []string {
	if !s.renamed[typ] {
		return nil
	}
	s.renamed[typ] = false
	cur := s.p.get()[typ]
	if cur == nil {
		return nil
	}
	want := make(map[string]bool, len(s.names[typ]))
	for _, n := range s.names[typ] {
		want[n] = true
	}
	var out []string
	for n := range cur.entries {
		if !want[n] {
			out = append(out, n)
		}
	}
	return out
}

// next sends what Envoy asks for after accepting typ.
func (s *sotwStream) next(typ int, st *typeState) error {
	if by, ok := followUp(typ); ok {
		want := s.p.f.store.followUp(typ, st)
		// An empty list would be a wildcard subscription; Envoy asks for
		// nothing instead.
		if len(want) > 0 && (!s.requested[by] || !sameList(want, s.names[by]) && !slices.Equal(want, s.names[by])) {
			s.names[by], s.renamed[by] = want, true
			s.namesWire[by] = namesField(want)
			if err := s.request(by, ""); err != nil {
				return err
			}
		}
	}
	if (typ == typeEDS || typ == typeCDS && !s.requested[typeEDS]) && !s.requested[typeLDS] {
		return s.request(typeLDS, "")
	}
	return nil
}
