package xds

import (
	"strings"
	"testing"
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	policyv1alpha1 "github.com/sailplane/sailplane/api/policy/v1alpha1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// rateLimitListener is a listener carrying the filter a policy with a
// whole-traffic rule and a POST rule translates to.
func rateLimitListener() (*listenerv3.Listener, *model.RateLimit) {
	r := &model.RateLimit{Status: 429, Rules: []model.RateLimitRule{
		{Name: "all", MaxTokens: 10, TokensPerFill: 1, FillInterval: time.Second},
		{Name: "post", Match: &policyv1alpha1.RateLimitMatch{Method: "POST"}, MaxTokens: 2, TokensPerFill: 1, FillInterval: 2 * time.Second},
	}}
	hcm := hcmFilter(inboundHCMForTest())
	l := &listenerv3.Listener{Name: "test", FilterChains: []*listenerv3.FilterChain{{Name: "c", Filters: []*listenerv3.Filter{withLocalRateLimit(hcm, localRateLimitHTTP(r))}}}}
	return l, r
}

func TestRateLimitChecksFindWhatEnvoyRefuses(t *testing.T) {
	l, r := rateLimitListener()
	if errs := rateLimitChecks(l); len(errs) > 0 {
		t.Fatalf("clean filter reported: %v", errs)
	}
	cases := []struct {
		name string
		edit func(*model.RateLimit)
		want string
	}{
		{"fill interval under 50ms", func(r *model.RateLimit) { r.Rules[0].FillInterval = 10 * time.Millisecond }, "under 50ms"},
		{"descriptor interval not a multiple", func(r *model.RateLimit) { r.Rules[1].FillInterval = 1500 * time.Millisecond }, "not a multiple"},
		{"zero fill interval", func(r *model.RateLimit) { r.Rules[0].FillInterval = 0 }, "invalid Envoy config"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := *r
			c.Rules = append([]model.RateLimitRule(nil), r.Rules...)
			tc.edit(&c)
			hcm := hcmFilter(inboundHCMForTest())
			l := &listenerv3.Listener{Name: "test", FilterChains: []*listenerv3.FilterChain{{Name: "c", Filters: []*listenerv3.Filter{withLocalRateLimit(hcm, localRateLimitHTTP(&c))}}}}
			errs := rateLimitChecks(l)
			if len(errs) == 0 || !strings.Contains(joinErrs(errs), tc.want) {
				t.Errorf("want an error with %q, got %v", tc.want, errs)
			}
		})
	}
	// A descriptor no action produces counts nothing.
	cfg := localRateLimitHTTP(r)
	cfg.RateLimits = nil
	l = &listenerv3.Listener{Name: "test", FilterChains: []*listenerv3.FilterChain{{Name: "c", Filters: []*listenerv3.Filter{withLocalRateLimit(hcmFilter(inboundHCMForTest()), cfg)}}}}
	if errs := rateLimitChecks(l); !strings.Contains(joinErrs(errs), "produced by no rate_limits action") {
		t.Errorf("an unproduced descriptor not reported: %v", errs)
	}
	// The network filter's bucket is checked too.
	tcp := localRateLimitTCP(r)
	tcp.TokenBucket.FillInterval = durationpb.New(time.Millisecond)
	l = &listenerv3.Listener{Name: "test", FilterChains: []*listenerv3.FilterChain{{Name: "c", Filters: []*listenerv3.Filter{{
		Name: names.LocalRateLimitNetworkFilter, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(tcp)},
	}}}}}
	if errs := rateLimitChecks(l); !strings.Contains(joinErrs(errs), "under 50ms") {
		t.Errorf("a 1ms network bucket not reported: %v", errs)
	}
}

// The filter goes after jwt_authn and the RBAC filters, before the rest.
func TestLocalRateLimitFilterOrder(t *testing.T) {
	h := inboundHCMForTest()
	h.HttpFilters = append([]*hcmv3.HttpFilter{
		{Name: names.JWTAuthnFilter}, {Name: names.AuthzHTTPFilter("deny")}, {Name: names.AuthzHTTPFilter("allow")},
	}, h.HttpFilters...)
	_, r := rateLimitListener()
	f := withLocalRateLimit(hcmFilter(h), localRateLimitHTTP(r))
	got := filterNames(t, f)
	want := []string{names.JWTAuthnFilter, names.AuthzHTTPFilter("deny"), names.AuthzHTTPFilter("allow"), names.LocalRateLimitFilter, names.RouterFilter}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("filters %v, want %v", got, want)
	}
}

func joinErrs(errs []error) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error() + "\n")
	}
	return b.String()
}

func inboundHCMForTest() *hcmv3.HttpConnectionManager {
	rc := inboundRouteConfig("inbound|9080||a.default.svc.cluster.local")
	return &hcmv3.HttpConnectionManager{
		StatPrefix:     "inbound_test",
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: rc},
		HttpFilters:    httpFilters(rc),
	}
}

func filterNames(t *testing.T, f *listenerv3.Filter) []string {
	t.Helper()
	var h hcmv3.HttpConnectionManager
	if err := f.GetTypedConfig().UnmarshalTo(&h); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, hf := range h.HttpFilters {
		out = append(out, hf.Name)
	}
	return out
}
