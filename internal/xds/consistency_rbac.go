package xds

import (
	"fmt"

	rbachttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	rbacnetv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// rbacChecks validates every RBAC filter configuration inside the
// listeners: proto validation stops at an Any, and Envoy refuses a
// listener whose RBAC filter (a policy without permissions, a CIDR
// without a prefix, ...) fails its own.
func rbacChecks(r *Resources) []error {
	var errs []error
	for _, l := range r.Listeners {
		walkMessages(l.ProtoReflect(), func(m protoreflect.Message) {
			var err error
			switch cfg := m.Interface().(type) {
			case *rbachttpv3.RBAC:
				err = cfg.ValidateAll()
			case *rbacnetv3.RBAC:
				err = cfg.ValidateAll()
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("listener %s: invalid RBAC filter: %v", l.Name, err))
			}
		})
	}
	return errs
}
