package inject

import (
	"fmt"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// ValidateBootstrap runs Envoy's proto validation rules over a bootstrap
// and over every typed config inside it. The generated ValidateAll stops
// at google.protobuf.Any, so on its own it would pass an HTTP connection
// manager or a credentials plugin config that Envoy rejects at start.
func ValidateBootstrap(b *bootstrapv3.Bootstrap) error {
	return validateDeep(b)
}

type validator interface{ ValidateAll() error }

func validateDeep(m proto.Message) error {
	if v, ok := m.(validator); ok {
		if err := v.ValidateAll(); err != nil {
			return err
		}
	}
	return eachAny(m.ProtoReflect(), func(a *anypb.Any) error {
		inner, err := a.UnmarshalNew()
		if err != nil {
			return fmt.Errorf("typed config %s: %w", a.GetTypeUrl(), err)
		}
		if err := validateDeep(inner); err != nil {
			return fmt.Errorf("typed config %s: %w", a.GetTypeUrl(), err)
		}
		return nil
	})
}

// eachAny calls f on every Any set in m, at any depth, without descending
// into the Anys themselves (f does that).
func eachAny(m protoreflect.Message, f func(*anypb.Any) error) error {
	visit := func(v protoreflect.Message) error {
		if a, ok := v.Interface().(*anypb.Any); ok {
			return f(a)
		}
		return eachAny(v, f)
	}
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() != nil {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					err = visit(mv.Message())
					return err == nil
				})
			}
		case fd.IsList():
			if fd.Message() != nil {
				for i := 0; i < v.List().Len() && err == nil; i++ {
					err = visit(v.List().Get(i).Message())
				}
			}
		case fd.Message() != nil:
			err = visit(v.Message())
		}
		return err == nil
	})
	return err
}
