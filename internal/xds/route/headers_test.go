package route

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func TestRuleHeaders(t *testing.T) {
	h := &networkingv1.Headers{
		Request: &networkingv1.HeaderOperations{
			Set:    map[string]string{"x-b": "2", "x-a": "1"},
			Add:    map[string]string{"x-a": "more"},
			Remove: []string{"x-secret", "cookie"},
		},
		Response: &networkingv1.HeaderOperations{
			Set:    map[string]string{"cache-control": "no-store"},
			Add:    map[string]string{"x-served-by": "sailplane"},
			Remove: []string{"server"},
		},
	}
	rt := onlyRoute(t, buildOK(t, sidecarParams(networkingv1.HTTPRoute{Headers: h, Route: to("reviews")})))
	got := &routev3.Route{
		RequestHeadersToAdd: rt.GetRequestHeadersToAdd(), RequestHeadersToRemove: rt.GetRequestHeadersToRemove(),
		ResponseHeadersToAdd: rt.GetResponseHeadersToAdd(), ResponseHeadersToRemove: rt.GetResponseHeadersToRemove(),
	}
	want := &routev3.Route{
		RequestHeadersToAdd:     []*corev3.HeaderValueOption{hv("x-a", "1", overwrite), hv("x-b", "2", overwrite), hv("x-a", "more", appendIt)},
		RequestHeadersToRemove:  []string{"x-secret", "cookie"},
		ResponseHeadersToAdd:    []*corev3.HeaderValueOption{hv("cache-control", "no-store", overwrite), hv("x-served-by", "sailplane", appendIt)},
		ResponseHeadersToRemove: []string{"server"},
	}
	assertProto(t, "header operations", got, want)
}

func TestHostHeader(t *testing.T) {
	t.Run("set host becomes a host rewrite", func(t *testing.T) {
		h := &networkingv1.Headers{Request: &networkingv1.HeaderOperations{Set: map[string]string{"Host": "internal.example"}}}
		rt := onlyRoute(t, buildOK(t, sidecarParams(networkingv1.HTTPRoute{Headers: h, Route: to("reviews")})))
		if got := rt.GetRoute().GetHostRewriteLiteral(); got != "internal.example" {
			t.Errorf("host_rewrite_literal = %q", got)
		}
		if len(rt.GetRequestHeadersToAdd()) != 0 {
			t.Errorf("host must not be added as a header: %v", rt.GetRequestHeadersToAdd())
		}
	})
	t.Run("rewrite.authority wins", func(t *testing.T) {
		h := &networkingv1.Headers{Request: &networkingv1.HeaderOperations{Set: map[string]string{":authority": "from-headers"}}}
		rt := onlyRoute(t, buildOK(t, sidecarParams(networkingv1.HTTPRoute{
			Headers: h, Rewrite: &networkingv1.HTTPRewrite{Authority: "from-rewrite"}, Route: to("reviews"),
		})))
		if got := rt.GetRoute().GetHostRewriteLiteral(); got != "from-rewrite" {
			t.Errorf("host_rewrite_literal = %q, want from-rewrite", got)
		}
	})
	t.Run("pseudo-headers cannot be modified", func(t *testing.T) {
		h := &networkingv1.Headers{
			Request:  &networkingv1.HeaderOperations{Add: map[string]string{":path": "/x", "x-ok": "1"}, Remove: []string{"host"}},
			Response: &networkingv1.HeaderOperations{Set: map[string]string{":status": "200"}},
		}
		routes, errs := Build(sidecarParams(networkingv1.HTTPRoute{Headers: h, Route: to("reviews")}))
		assertErrors(t, errs,
			FieldError{Object: testVS, Field: "http[0].headers.request.add[:path]", Reason: "cannot be modified"},
			FieldError{Object: testVS, Field: "http[0].headers.request.remove[0]", Reason: "cannot be modified"},
			FieldError{Object: testVS, Field: "http[0].headers.response.set[:status]", Reason: "cannot be modified"},
		)
		rt := onlyRoute(t, routes)
		assertProto(t, "request headers", &routev3.Route{RequestHeadersToAdd: rt.GetRequestHeadersToAdd()},
			&routev3.Route{RequestHeadersToAdd: []*corev3.HeaderValueOption{hv("x-ok", "1", appendIt)}})
		if len(rt.GetRequestHeadersToRemove())+len(rt.GetResponseHeadersToAdd()) != 0 {
			t.Errorf("forbidden operations kept: %v %v", rt.GetRequestHeadersToRemove(), rt.GetResponseHeadersToAdd())
		}
	})
}
