package route

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/defaults"
)

// redirectCode maps a status to the codes Envoy can answer a redirect with.
func redirectCode(code int32) (routev3.RedirectAction_RedirectResponseCode, bool) {
	switch code {
	case 301:
		return routev3.RedirectAction_MOVED_PERMANENTLY, true
	case 302:
		return routev3.RedirectAction_FOUND, true
	case 303:
		return routev3.RedirectAction_SEE_OTHER, true
	case 307:
		return routev3.RedirectAction_TEMPORARY_REDIRECT, true
	case 308:
		return routev3.RedirectAction_PERMANENT_REDIRECT, true
	}
	return 0, false
}

// redirect translates an HTTPRedirect. derivePort FROM_REQUEST_PORT becomes
// the listener's port: routes are built per port, so the request's port is
// known. FROM_PROTOCOL_DEFAULT sets no port (as Istio does): Envoy then
// leaves the port out when it rewrites the scheme or host.
func (b *builder) redirect(at loc, in *networkingv1.HTTPRedirect) (*routev3.Route_Redirect, bool) {
	code := in.RedirectCode
	if code == 0 {
		code = defaults.RedirectCode
	}
	rc, ok := redirectCode(code)
	if !ok {
		b.errs.add(at.field("redirectCode"), "redirect code %d is not supported (Envoy answers 301, 302, 303, 307 or 308)", code)
		return nil, false
	}
	ra := &routev3.RedirectAction{ResponseCode: rc, HostRedirect: in.Authority}
	if in.URI != "" {
		ra.PathRewriteSpecifier = &routev3.RedirectAction_PathRedirect{PathRedirect: in.URI}
	}
	if in.Scheme != "" {
		ra.SchemeRewriteSpecifier = &routev3.RedirectAction_SchemeRedirect{SchemeRedirect: in.Scheme}
	}
	switch {
	case in.Port != 0:
		ra.PortRedirect = uint32(in.Port)
	case in.DerivePort == "FROM_REQUEST_PORT":
		ra.PortRedirect = b.p.Port
	}
	return &routev3.Route_Redirect{Redirect: ra}, true
}

// directResponse answers with the status and an inline body.
func directResponse(in *networkingv1.HTTPDirectResponse) *routev3.Route_DirectResponse {
	dr := &routev3.DirectResponseAction{Status: uint32(max(in.Status, 0))}
	if body := in.Body; body != nil {
		switch {
		case body.String != nil:
			dr.Body = &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: *body.String}}
		case body.Bytes != nil:
			dr.Body = &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: body.Bytes}}
		}
	}
	return &routev3.Route_DirectResponse{DirectResponse: dr}
}
