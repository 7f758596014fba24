package xdsserver

import (
	"unicode/utf8"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// A route configuration is encoded a virtual host at a time. A rules
// change rebuilds the virtual hosts of the hosts it touches and hands
// every other one over by pointer (xds.OutboundRulesUpdate), yet a
// namespace's route table of a port holds a virtual host per service (1000
// at the reference mesh, 600 KiB): marshalling it whole for a change to
// one host cost the reconciler ~200 ms of a VirtualService change.
//
// Deterministic marshalling writes a message's fields in field-number
// order, so a route configuration's bytes are its name (field 1), each
// virtual host as a length-delimited field 2, then its other fields:
// assembling them from the hosts' own encodings gives exactly the bytes
// Marshal gives (the tests compare them on every golden case and rules
// edit), hence the same versions. A host's bytes are a slice of the
// configuration that held it, so keeping them costs no copy.

const (
	routeNameField   = 1
	virtualHostField = 2
	// spliceMinHosts is the fewest virtual hosts worth encoding apart:
	// a configuration of one host changes whenever its host does.
	spliceMinHosts = 2
)

// marshalRoutes encodes rc from its virtual hosts' bytes, reusing those
// this publish or the last already encoded; parts are the hosts' bytes
// inside raw, in rc's order.
func (b *Builder) marshalRoutes(rc *routev3.RouteConfiguration) (raw []byte, parts [][]byte, err error) {
	if !utf8.ValidString(rc.Name) {
		raw, err = b.opts.Marshal(rc) // for its error
		return raw, nil, err
	}
	parts = make([][]byte, len(rc.VirtualHosts))
	size := 0
	for i, vh := range rc.VirtualHosts {
		if parts[i], err = b.hostBytes(vh); err != nil {
			return nil, nil, err
		}
		size += protowire.SizeTag(virtualHostField) + protowire.SizeBytes(len(parts[i]))
	}
	rest, err := b.opts.Marshal(routeShell(rc))
	if err != nil {
		return nil, nil, err
	}
	if rc.Name != "" {
		size += protowire.SizeTag(routeNameField) + protowire.SizeBytes(len(rc.Name))
	}
	raw = make([]byte, 0, size+len(rest))
	if rc.Name != "" {
		raw = protowire.AppendTag(raw, routeNameField, protowire.BytesType)
		raw = protowire.AppendString(raw, rc.Name)
	}
	for i, p := range parts {
		raw = protowire.AppendTag(raw, virtualHostField, protowire.BytesType)
		raw = protowire.AppendVarint(raw, uint64(len(p)))
		start := len(raw)
		raw = append(raw, p...)
		parts[i] = raw[start:len(raw):len(raw)]
	}
	return append(raw, rest...), parts, nil
}

// hostBytes is a virtual host's encoding: the one kept for the pointer
// in this publish or the last, or a new one.
func (b *Builder) hostBytes(vh *routev3.VirtualHost) ([]byte, error) {
	if p, ok := b.cur.hosts[vh]; ok {
		return p, nil
	}
	if p, ok := b.prev.hosts[vh]; ok {
		return p, nil
	}
	b.hostsMarshalled++
	return b.opts.Marshal(vh)
}

// routeShell is rc without its name and virtual hosts: what Marshal
// writes after them.
func routeShell(rc *routev3.RouteConfiguration) *routev3.RouteConfiguration {
	shell := &routev3.RouteConfiguration{}
	src, dst := rc.ProtoReflect(), shell.ProtoReflect()
	src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if n := fd.Number(); n != routeNameField && n != virtualHostField {
			dst.Set(fd, v)
		}
		return true
	})
	dst.SetUnknown(src.GetUnknown())
	return shell
}

// keepHosts makes an item's virtual-host bytes reachable from this
// publish, once per item: a route configuration carried over unchanged
// (by pointer or in a carried list) is what the next rules change edits.
func (b *Builder) keepHosts(it *item) {
	if it.parts == nil || b.cur.hostsKept[it] {
		return
	}
	b.cur.hostsKept[it] = true
	for i, vh := range it.msg.(*routev3.RouteConfiguration).VirtualHosts {
		b.cur.hosts[vh] = it.parts[i]
	}
}
