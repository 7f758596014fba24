package xds

import (
	"fmt"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	lrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	rlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ratelimit/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/sailplane/sailplane/internal/names"
)

// peerHeaderErrors check a connection manager whose rate limits read the
// caller from x-forwarded-client-cert: the manager must write the peer's
// element (APPEND_FORWARD or SANITIZE_SET) and the element must end with
// its URI, with no quoted Subject before it; else the from rules would
// never match, or match text the caller chose.
func peerHeaderErrors(where string, h *hcmv3.HttpConnectionManager) []error {
	if !readsPeerHeader(h) {
		return nil
	}
	var errs []error
	switch h.GetForwardClientCertDetails() {
	case hcmv3.HttpConnectionManager_APPEND_FORWARD, hcmv3.HttpConnectionManager_SANITIZE_SET:
	default:
		errs = append(errs, fmt.Errorf("%s: rate limits read %s but forward_client_cert_details is %s", where, names.ForwardedClientCertHeader, h.GetForwardClientCertDetails()))
	}
	d := h.GetSetCurrentClientCertDetails()
	if !d.GetUri() || d.GetDns() || d.GetSubject().GetValue() || d.GetCert() || d.GetChain() {
		errs = append(errs, fmt.Errorf("%s: rate limits read the peer URI from %s but set_current_client_cert_details is %v (want uri alone)", where, names.ForwardedClientCertHeader, d))
	}
	return errs
}

// readsPeerHeader says whether a local_ratelimit or ratelimit filter of
// the manager matches on x-forwarded-client-cert.
func readsPeerHeader(h *hcmv3.HttpConnectionManager) bool {
	for _, hf := range h.GetHttpFilters() {
		var local lrlv3.LocalRateLimit
		var global rlv3.RateLimit
		switch {
		case hf.GetTypedConfig().MessageIs(&local):
			if hf.GetTypedConfig().UnmarshalTo(&local) == nil && matchesPeerHeader(local.GetRateLimits()) {
				return true
			}
		case hf.GetTypedConfig().MessageIs(&global):
			if hf.GetTypedConfig().UnmarshalTo(&global) == nil && matchesPeerHeader(global.GetRateLimits()) {
				return true
			}
		}
	}
	return false
}

func matchesPeerHeader(rls []*routev3.RateLimit) bool {
	for _, rl := range rls {
		for _, a := range rl.GetActions() {
			for _, hm := range a.GetHeaderValueMatch().GetHeaders() {
				if hm.GetName() == names.ForwardedClientCertHeader {
					return true
				}
			}
		}
	}
	return false
}
