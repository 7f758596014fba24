package xds

import (
	"fmt"

	rbachttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	rbacnetv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// rbacChecks validates every RBAC filter configuration inside the
// listeners: proto validation stops at an Any, and Envoy refuses a
// listener whose RBAC filter (a policy without permissions, a CIDR
// without a prefix, ...) fails its own. It also refuses two HTTP filters
// of one name in a connection manager, as grpc-go does (several RBAC
// filters are where that happens).
func rbacChecks(r *Resources) []error {
	var errs []error
	for _, l := range r.Listeners {
		walkMessages(l.ProtoReflect(), func(m protoreflect.Message) {
			var err error
			switch cfg := m.Interface().(type) {
			case *rbachttpv3.RBAC:
				err = invalidRBAC(cfg.ValidateAll())
			case *rbacnetv3.RBAC:
				err = invalidRBAC(cfg.ValidateAll())
			case *hcmv3.HttpConnectionManager:
				err = duplicateHTTPFilter(cfg)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("listener %s: %v", l.Name, err))
			}
		})
	}
	return errs
}

func invalidRBAC(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("invalid RBAC filter: %w", err)
}

func duplicateHTTPFilter(h *hcmv3.HttpConnectionManager) error {
	seen := map[string]bool{}
	for _, f := range h.GetHttpFilters() {
		if seen[f.GetName()] {
			return fmt.Errorf("HTTP filter %s appears twice in connection manager %s", f.GetName(), h.GetStatPrefix())
		}
		seen[f.GetName()] = true
	}
	return nil
}
