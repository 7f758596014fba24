package route

import (
	"fmt"
	"math"
	"time"

	"github.com/sailplane/sailplane/internal/pbany"

	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// duration parses a CRD duration. The CRD accepts Go-style strings ("3m",
// "1.5s", "100ms"), which time.ParseDuration reads exactly.
func (b *builder) duration(at loc, s string) (*durationpb.Duration, bool) {
	d, err := time.ParseDuration(s)
	if err != nil {
		b.errs.add(at, "invalid duration %q: %v", s, err)
		return nil, false
	}
	if d < 0 {
		b.errs.add(at, "duration %q is negative", s)
		return nil, false
	}
	return durationpb.New(d), true
}

// fractionalPercent converts Istio's percentage of requests (0.1 means one
// in a thousand) to Envoy's, in millionths so three decimals survive.
func fractionalPercent(pct float64) *typev3.FractionalPercent {
	pct = math.Min(math.Max(pct, 0), 100)
	return &typev3.FractionalPercent{
		Numerator:   uint32(math.Round(pct * 10000)),
		Denominator: typev3.FractionalPercent_MILLION,
	}
}

// toAny packs a per-filter config. Marshalling only fails on invalid UTF-8
// in a string field, which then is a user error worth reporting.
func (b *builder) toAny(at loc, m proto.Message) (*anypb.Any, bool) {
	a, err := pbany.New(m)
	if err != nil {
		b.errs.add(at, "cannot encode %s: %v", m.ProtoReflect().Descriptor().FullName(), err)
		return nil, false
	}
	return a, true
}

// constAny packs a message built only from constants; failing to marshal it
// is a programming error, not something a user can cause.
func constAny(m proto.Message) *anypb.Any {
	a, err := pbany.New(m)
	if err != nil {
		panic(fmt.Sprintf("route: encoding constant %T: %v", m, err))
	}
	return a
}
