package route

import (
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	commonfaultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/common/fault/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func perMillion(n uint32) *typev3.FractionalPercent {
	return &typev3.FractionalPercent{Numerator: n, Denominator: typev3.FractionalPercent_MILLION}
}

// faultOf returns the fault filter's per-route config, nil when absent.
func faultOf(t *testing.T, rt *routev3.Route) *faultv3.HTTPFault {
	t.Helper()
	a, ok := rt.GetTypedPerFilterConfig()["envoy.filters.http.fault"]
	if !ok {
		return nil
	}
	out := &faultv3.HTTPFault{}
	if err := a.UnmarshalTo(out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFault(t *testing.T) {
	fixed := func(d string) *networkingv1.FaultDelay {
		return &networkingv1.FaultDelay{FixedDelay: ptr(networkingv1.Duration(d))}
	}
	delay := func(ms int64, pct uint32) *commonfaultv3.FaultDelay {
		return &commonfaultv3.FaultDelay{
			FaultDelaySecifier: &commonfaultv3.FaultDelay_FixedDelay{FixedDelay: durationpb.New(msDuration(ms))},
			Percentage:         perMillion(pct),
		}
	}
	tests := []struct {
		name string
		in   networkingv1.HTTPFaultInjection
		want *faultv3.HTTPFault
	}{
		{"delay, 0.1 per cent is one in a thousand", networkingv1.HTTPFaultInjection{Delay: withPct(fixed("5s"), 0.1)},
			&faultv3.HTTPFault{Delay: delay(5000, 1000)}},
		{"delay, deprecated integer percent", networkingv1.HTTPFaultInjection{Delay: &networkingv1.FaultDelay{FixedDelay: ptr(networkingv1.Duration("1.5s")), Percent: 30}},
			&faultv3.HTTPFault{Delay: delay(1500, 300000)}},
		{"delay, percentage omitted: none, as in Istio", networkingv1.HTTPFaultInjection{Delay: fixed("100ms")},
			&faultv3.HTTPFault{Delay: delay(100, 0)}},
		{"abort http status", networkingv1.HTTPFaultInjection{Abort: &networkingv1.FaultAbort{HTTPStatus: 503, Percentage: &networkingv1.Percent{Value: 50}}},
			&faultv3.HTTPFault{Abort: &faultv3.FaultAbort{ErrorType: &faultv3.FaultAbort_HttpStatus{HttpStatus: 503}, Percentage: perMillion(500000)}}},
		{"abort grpc status by name", networkingv1.HTTPFaultInjection{Abort: &networkingv1.FaultAbort{GRPCStatus: "UNAVAILABLE", Percentage: &networkingv1.Percent{Value: 100}}},
			&faultv3.HTTPFault{Abort: &faultv3.FaultAbort{ErrorType: &faultv3.FaultAbort_GrpcStatus{GrpcStatus: 14}, Percentage: perMillion(1000000)}}},
		{"delay and abort", networkingv1.HTTPFaultInjection{Delay: withPct(fixed("2s"), 12.3456), Abort: &networkingv1.FaultAbort{HTTPStatus: 418, Percentage: &networkingv1.Percent{Value: 1}}},
			&faultv3.HTTPFault{Delay: delay(2000, 123456), Abort: &faultv3.FaultAbort{ErrorType: &faultv3.FaultAbort_HttpStatus{HttpStatus: 418}, Percentage: perMillion(10000)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := onlyRoute(t, buildOK(t, sidecarParams(networkingv1.HTTPRoute{Fault: &tt.in, Route: to("reviews")})))
			assertProto(t, "fault", faultOf(t, rt), tt.want)
		})
	}
}

func withPct(d *networkingv1.FaultDelay, pct float64) *networkingv1.FaultDelay {
	d.Percentage = &networkingv1.Percent{Value: pct}
	return d
}

func TestFaultUnsupportedPartsDropped(t *testing.T) {
	routes, errs := Build(sidecarParams(networkingv1.HTTPRoute{
		Fault: &networkingv1.HTTPFaultInjection{
			Delay: &networkingv1.FaultDelay{ExponentialDelay: ptr(networkingv1.Duration("1s"))},
			Abort: &networkingv1.FaultAbort{HTTP2Error: "CANCEL"},
		},
		Route: to("reviews"),
	}))
	assertErrors(t, errs,
		FieldError{Object: testVS, Field: "http[0].fault.delay.exponentialDelay", Reason: "unsupported"},
		FieldError{Object: testVS, Field: "http[0].fault.abort.http2Error", Reason: "unsupported"},
	)
	rt := onlyRoute(t, routes)
	if f := faultOf(t, rt); f != nil {
		t.Errorf("fault config %v, want none", f)
	}
}
