package bench

import (
	"context"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"time"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
)

// deltaStream is one proxy's incremental ADS stream, in Envoy's order
// (see sotwStream): wildcard CDS and LDS, EDS and RDS by name with
// subscribe/unsubscribe lists, every response ACKed by its nonce.
type deltaStream struct {
	p          *proxy
	node       *corev3.Node
	stream     *adsStream
	sentNode   bool
	requested  [numTypes]bool
	subscribed [numTypes]map[string]bool
	// follow is the follow-up list subscribed was last made from.
	follow [numTypes][]string
	held   [numTypes]*typeState
}

func (p *proxy) runDelta(ctx context.Context, c streamAuth) error {
	stream, err := openADS(ctx, p.conn, methodDelta, c.token)
	if err != nil {
		return err
	}
	d := &deltaStream{p: p, node: c.node, stream: stream}
	if err := d.subscribe(typeCDS, nil, nil); err != nil {
		return err
	}
	p.f.connected()
	for {
		frame, err := stream.recv()
		if err != nil {
			return err
		}
		buf := valueBufs.Get().(*[]rope)
		resp, err := parseDeltaFrom(frame.rope(), *buf)
		if err == nil {
			err = d.handle(resp)
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

func (d *deltaStream) send(req *discoveryv3.DeltaDiscoveryRequest) error {
	if !d.sentNode {
		req.Node, d.sentNode = d.node, true
	}
	return d.stream.send(req)
}

// subscribe changes the type's subscription (nil lists on the first
// request of a wildcard type: a wildcard subscription).
func (d *deltaStream) subscribe(typ int, add, remove []string) error {
	d.requested[typ] = true
	return d.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: typeURLs[typ], ResourceNamesSubscribe: add, ResourceNamesUnsubscribe: remove})
}

func (d *deltaStream) handle(resp deltaFrame) error {
	typ, ok := typeOf(resp.typeURL)
	if !ok {
		return nil
	}
	changed := make([]*entry, 0, len(resp.values))
	for _, raw := range resp.values {
		e, err := d.p.f.store.entry(typ, raw)
		if err != nil {
			d.p.f.count(true)
			return d.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resp.typeURL, ResponseNonce: resp.nonce, ErrorDetail: &statuspb.Status{Code: 3, Message: err.Error()}})
		}
		changed = append(changed, e)
	}
	st := d.p.f.store.apply(typ, d.held[typ], changed, resp.removed)
	d.held[typ] = st
	at := time.Now()
	if err := d.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resp.typeURL, ResponseNonce: resp.nonce}); err != nil {
		return err
	}
	d.p.f.accepted(d.p, typ, st, at)
	return d.next(typ, st)
}

// next subscribes to the names the new set refers to and drops the ones it
// no longer does; after the first EDS answer it asks for listeners.
func (d *deltaStream) next(typ int, st *typeState) error {
	if by, ok := followUp(typ); ok {
		want := d.p.f.store.followUp(typ, st)
		if sameList(want, d.follow[by]) && d.follow[by] != nil {
			return d.nextListeners(typ)
		}
		d.follow[by] = want
		var add, remove []string
		keep := make(map[string]bool, len(want))
		for _, n := range want {
			keep[n] = true
			if !d.subscribed[by][n] {
				add = append(add, n)
			}
		}
		for n := range d.subscribed[by] {
			if !keep[n] {
				remove = append(remove, n)
			}
		}
		if len(add) > 0 || len(remove) > 0 {
			d.subscribed[by] = keep
			if err := d.subscribe(by, add, remove); err != nil {
				return err
			}
		}
	}
	return d.nextListeners(typ)
}

// nextListeners asks for listeners after the first load assignments.
func (d *deltaStream) nextListeners(typ int) error {
	if (typ == typeEDS || typ == typeCDS && !d.requested[typeEDS]) && !d.requested[typeLDS] {
		return d.subscribe(typeLDS, nil, nil)
	}
	return nil
}
