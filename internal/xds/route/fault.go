package route

import (
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	commonfaultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/common/fault/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/defaults"
)

// FaultFilter is the HTTP filter whose per-route config carries a rule's
// fault; the listener must include it for faults to take effect.
const FaultFilter = "envoy.filters.http.fault"

// addFault puts the rule's fault on the route as the fault filter's
// per-route config. What Envoy cannot do (exponential delays, HTTP/2
// errors) is reported and left out; the route itself still works.
func (b *builder) addFault(r *rule, rt *routev3.Route) {
	in := r.spec.Fault
	if in == nil {
		return
	}
	at := r.at("fault")
	out := &faultv3.HTTPFault{}
	if d := in.Delay; d != nil {
		out.Delay = b.faultDelay(at.field("delay"), d)
	}
	if a := in.Abort; a != nil {
		out.Abort = b.faultAbort(at.field("abort"), a)
	}
	if out.Delay == nil && out.Abort == nil {
		return
	}
	if cfg, ok := b.toAny(at, out); ok {
		setFilterConfig(rt, FaultFilter, cfg)
	}
}

func (b *builder) faultDelay(at loc, in *networkingv1.FaultDelay) *commonfaultv3.FaultDelay {
	if in.FixedDelay == nil {
		b.errs.add(at.field("exponentialDelay"), "unsupported: Envoy has only fixed delays; delay ignored")
		return nil
	}
	d, ok := b.duration(at.field("fixedDelay"), string(*in.FixedDelay))
	if !ok {
		return nil
	}
	pct := float64(defaults.FaultPercentWhenMissing)
	switch {
	case in.Percentage != nil:
		pct = in.Percentage.Value
	case in.Percent > 0:
		pct = float64(in.Percent)
	}
	return &commonfaultv3.FaultDelay{
		FaultDelaySecifier: &commonfaultv3.FaultDelay_FixedDelay{FixedDelay: d},
		Percentage:         fractionalPercent(pct),
	}
}

func (b *builder) faultAbort(at loc, in *networkingv1.FaultAbort) *faultv3.FaultAbort {
	out := &faultv3.FaultAbort{Percentage: faultPercent(in.Percentage)}
	switch {
	case in.HTTPStatus != 0:
		out.ErrorType = &faultv3.FaultAbort_HttpStatus{HttpStatus: uint32(in.HTTPStatus)}
	case in.GRPCStatus != "":
		code, ok := grpcCode(in.GRPCStatus)
		if !ok {
			b.errs.add(at.field("grpcStatus"), "unknown gRPC status %q; abort ignored", in.GRPCStatus)
			return nil
		}
		out.ErrorType = &faultv3.FaultAbort_GrpcStatus{GrpcStatus: code}
	case in.HTTP2Error != "":
		b.errs.add(at.field("http2Error"), "unsupported: Envoy cannot inject HTTP/2 errors; abort ignored")
		return nil
	default:
		b.errs.add(at, "one of httpStatus, grpcStatus or http2Error is required; abort ignored")
		return nil
	}
	return out
}

func faultPercent(p *networkingv1.Percent) *typev3.FractionalPercent {
	if p == nil {
		return fractionalPercent(defaults.FaultPercentWhenMissing)
	}
	return fractionalPercent(p.Value)
}

// grpcCode is the numeric code of a gRPC status name, as Envoy wants it.
func grpcCode(name string) (uint32, bool) {
	codes := [...]string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
		"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
		"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}
	for i, c := range codes {
		if c == name {
			return uint32(i), true
		}
	}
	return 0, false
}
