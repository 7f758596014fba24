package xds

import (
	"fmt"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
)

// overlappingChains reports what makes Envoy refuse a listener although
// every proto in it validates: two filter chains that match the same
// connection ("multiple filter chains with the same matching rules are
// defined"). Envoy files each chain under every combination of its match
// values, criterion by criterion (an unset criterion is one wildcard
// value); two chains sharing a combination collide.
func overlappingChains(l *listenerv3.Listener) []error {
	var errs []error
	seen := map[string]string{}
	for i, fc := range l.GetFilterChains() {
		for _, k := range matchKeys(fc.GetFilterChainMatch()) {
			if first, ok := seen[k]; ok {
				errs = append(errs, fmt.Errorf("listener %s: filter chain %d (%q) matches the same connections as %s", l.Name, i, fc.GetName(), first))
				break
			}
			seen[k] = fmt.Sprintf("filter chain %d (%q)", i, fc.GetName())
		}
	}
	return errs
}

// matchKeys expands a filter chain match into Envoy's combinations of
// destination port, destination prefix, server name, transport protocol,
// application protocol, direct source prefix, source type, source prefix
// and source port.
func matchKeys(m *listenerv3.FilterChainMatch) []string {
	levels := [][]string{
		{fmt.Sprint(m.GetDestinationPort().GetValue())},
		cidrs(m.GetPrefixRanges()),
		orAny(lowered(m.GetServerNames())),
		{m.GetTransportProtocol()},
		orAny(m.GetApplicationProtocols()),
		cidrs(m.GetDirectSourcePrefixRanges()),
		{m.GetSourceType().String()},
		cidrs(m.GetSourcePrefixRanges()),
		ports(m.GetSourcePorts()),
	}
	keys := []string{""}
	for _, vals := range levels {
		var next []string
		for _, k := range keys {
			for _, v := range vals {
				next = append(next, k+"|"+v)
			}
		}
		keys = next
	}
	return keys
}

// lowered is server names as Envoy compares them: without regard to case.
func lowered(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.ToLower(n)
	}
	return out
}

func orAny(vals []string) []string {
	if len(vals) == 0 {
		return []string{""}
	}
	return vals
}

func cidrs(rs []*corev3.CidrRange) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s/%d", r.GetAddressPrefix(), r.GetPrefixLen().GetValue()))
	}
	return orAny(out)
}

func ports(ps []uint32) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, fmt.Sprint(p))
	}
	return orAny(out)
}
