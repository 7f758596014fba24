package xds

import (
	"fmt"
	"math"
	"regexp/syntax"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/re2size"
)

// envoyWholeChecks are what Envoy refuses although the reference checks
// pass: a resource failing its proto validation, two resources of one type
// under one name (Envoy rejects the whole CDS or LDS update), two filter
// chains of a listener with the same match (the whole listener), and a
// regex RE2 cannot compile or whose program is over
// re2.max_program_size.error_level (the whole route configuration or
// listener that carries it).
func envoyWholeChecks(r *Resources) []error {
	var errs []error
	each := func(kind, name string, m validator) {
		if err := m.ValidateAll(); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: invalid Envoy config: %v", kind, name, err))
		}
		errs = append(errs, regexErrors(kind+" "+name, m)...)
	}
	seen := map[string]bool{}
	once := func(kind, name string) {
		if seen[kind+"\x00"+name] {
			errs = append(errs, fmt.Errorf("%s %s appears twice", kind, name))
		}
		seen[kind+"\x00"+name] = true
	}
	for _, l := range r.Listeners {
		once("listener", l.Name)
		each("listener", l.Name, l)
	}
	for _, rc := range r.Routes {
		once("route configuration", rc.Name)
		each("route configuration", rc.Name, rc)
	}
	for _, c := range r.Clusters {
		once("cluster", c.Name)
		each("cluster", c.Name, c)
	}
	for _, e := range r.Endpoints {
		once("load assignment", e.ClusterName)
		each("load assignment", e.ClusterName, e)
		errs = append(errs, localityWeights(e)...)
	}
	for _, s := range r.Secrets {
		once("secret", s.Name)
		each("secret", s.Name, s)
	}
	return errs
}

// localityWeights reports a locality whose endpoints' weights add up to
// more than 2^32-1: Envoy refuses the load assignment ("the sum of weights
// of all upstream hosts in a locality exceeds 4294967295").
func localityWeights(e *endpointv3.ClusterLoadAssignment) []error {
	var errs []error
	for _, l := range e.Endpoints {
		var sum uint64
		for _, ep := range l.LbEndpoints {
			w := uint64(1)
			if ep.GetLoadBalancingWeight() != nil {
				w = uint64(ep.GetLoadBalancingWeight().GetValue())
			}
			sum += w
		}
		if sum > math.MaxUint32 {
			errs = append(errs, fmt.Errorf("load assignment %s: the weights of locality %v add up to %d, over 4294967295", e.ClusterName, l.GetLocality(), sum))
		}
	}
	return errs
}

const regexMatcherName protoreflect.FullName = "envoy.type.matcher.v3.RegexMatcher"

// regexErrors finds every RegexMatcher in m, looking inside typed configs
// (a listener's HTTP connection manager and its inline route
// configuration, per-filter configs), and reports each that RE2 would not
// compile or whose program is over Envoy's default limit.
func regexErrors(what string, m proto.Message) []error {
	var errs []error
	walkMessages(m.ProtoReflect(), func(msg protoreflect.Message) {
		if msg.Descriptor().FullName() != regexMatcherName {
			return
		}
		re := msg.Get(msg.Descriptor().Fields().ByName("regex")).String()
		if _, err := syntax.Parse(re, syntax.Perl); err != nil {
			errs = append(errs, fmt.Errorf("%s: regex %q does not compile: %v", what, re, err))
			return
		}
		n, err := re2size.ProgramSize(re)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: regex %q: %v", what, re, err))
		case n > defaults.EnvoyRegexMaxProgramSize:
			errs = append(errs, fmt.Errorf("%s: regex %q has RE2 program size %d, over Envoy's %d", what, re, n, defaults.EnvoyRegexMaxProgramSize))
		}
	})
	return errs
}

// walkMessages calls visit for m and every message under it, unpacking
// Any fields whose type is linked in.
func walkMessages(m protoreflect.Message, visit func(protoreflect.Message)) {
	if !m.IsValid() {
		return
	}
	visit(m)
	if a, ok := m.Interface().(*anypb.Any); ok {
		if inner, err := a.UnmarshalNew(); err == nil {
			walkMessages(inner.ProtoReflect(), visit)
		}
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				walkMessages(l.Get(i).Message(), visit)
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				walkMessages(mv.Message(), visit)
				return true
			})
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			walkMessages(v.Message(), visit)
		}
		return true
	})
}
