package xds

import (
	"strings"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestOverlappingChains(t *testing.T) {
	match := func(port uint32, transport string, alpn ...string) *listenerv3.FilterChain {
		return &listenerv3.FilterChain{Name: "c", FilterChainMatch: &listenerv3.FilterChainMatch{
			DestinationPort: wrapperspb.UInt32(port), TransportProtocol: transport, ApplicationProtocols: alpn,
		}}
	}
	for _, tc := range []struct {
		name   string
		chains []*listenerv3.FilterChain
		errs   int
	}{
		{"disjoint ALPNs", []*listenerv3.FilterChain{match(80, "tls", "istio-h2", "istio-http/1.1"), match(80, "tls", "istio"), match(80, "tls")}, 0},
		{"shared ALPN", []*listenerv3.FilterChain{match(80, "tls", "istio-h2", "istio"), match(80, "tls", "istio-peer-exchange", "istio")}, 1},
		{"transport tells apart", []*listenerv3.FilterChain{match(80, "tls"), match(80, "raw_buffer"), match(80, "")}, 0},
		{"same match twice", []*listenerv3.FilterChain{match(80, ""), match(81, ""), match(80, "")}, 1},
		{"no match twice", []*listenerv3.FilterChain{{}, {}}, 1},
	} {
		errs := overlappingChains(&listenerv3.Listener{Name: "l", FilterChains: tc.chains})
		if len(errs) != tc.errs {
			t.Errorf("%s: %v, want %d errors", tc.name, errs, tc.errs)
		}
		for _, err := range errs {
			if !strings.Contains(err.Error(), "matches the same connections") {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
	}
}
