// Package pbany packs protos into Any the one way sailplane does: with map
// entries in a fixed order. anypb.New does not, so a config holding a map
// (a google.protobuf.Struct, such as a JSON access log format) would get
// different bytes on every translation; its content hash, the resource's
// version, would change and every proxy would be pushed an unchanged
// resource.
package pbany

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// New packs m deterministically.
func New(m proto.Message) (*anypb.Any, error) {
	a := &anypb.Any{}
	if err := anypb.MarshalFrom(a, m, proto.MarshalOptions{Deterministic: true}); err != nil {
		return nil, err
	}
	return a, nil
}
