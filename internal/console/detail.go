package console

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// The detail panels: what a click on a node or edge shows.

func serviceDetail(m *model.Model, s *model.Service) []Field {
	out := []Field{{"host", s.Hostname}, {"namespace", s.Namespace}}
	if s.FromServiceEntry != nil {
		out = append(out, Field{"defined by", "ServiceEntry " + s.FromServiceEntry.String()})
	}
	if len(s.Addresses) > 0 {
		out = append(out, Field{"addresses", strings.Join(s.Addresses, ", ")})
	}
	for _, p := range s.Ports {
		out = append(out, Field{"port " + strconv.Itoa(int(p.Number)), fmt.Sprintf("%s (%s)", p.Name, p.Protocol)})
	}
	out = append(out, Field{"mTLS (server side)", string(m.NamespaceMTLSMode(s.Namespace)) + " (namespace-wide PeerAuthentication)"})
	for _, vs := range m.VirtualServices {
		for _, h := range vs.Hosts {
			if h == s.Hostname {
				out = append(out, Field{"virtual service", vs.Ref.String()})
			}
		}
	}
	if dr := ruleFor(m, s.Hostname); dr != nil {
		out = append(out, Field{"destination rule", dr.Ref.String()})
		out = append(out, policyFields("policy", dr.Spec.TrafficPolicy)...)
	}
	out = append(out, envoyNames(s, "", 0)...)
	return out
}

func subsetDetail(m *model.Model, dr *model.DestinationRule, ss networkingv1.Subset) []Field {
	out := []Field{{"subset", ss.Name}, {"host", dr.Host}, {"destination rule", dr.Ref.String()}, {"labels", labelText(ss.Labels)}}
	out = append(out, policyFields("policy", dr.Spec.TrafficPolicy)...)
	out = append(out, policyFields("subset policy", ss.TrafficPolicy)...)
	if s, ok := m.Services[dr.Host]; ok {
		out = append(out, envoyNames(s, ss.Name, 0)...)
	}
	return out
}

func workloadDetail(m *model.Model, p *model.Workload) []Field {
	sidecar := "no"
	if p.Sidecar {
		sidecar = "yes"
	}
	return append([]Field{
		{"pod", p.Ref.String()}, {"address", p.IP}, {"service account", p.ServiceAccount},
		{"sidecar", sidecar}, {"labels", labelText(p.Labels)},
		{"mTLS (server side)", string(m.MTLSModeFor(p.Ref.Namespace, p.Labels, 0))},
	}, rateLimitFields(m, p)...)
}

// routeDetail names the route's match, timeout, retries and fault.
func routeDetail(r networkingv1.HTTPRoute) []Field {
	var out []Field
	if r.Name != "" {
		out = append(out, Field{"route name", r.Name})
	}
	add := func(name string, v any) {
		if b, err := json.Marshal(v); err == nil && string(b) != "null" && string(b) != "[]" {
			out = append(out, Field{name, string(b)})
		}
	}
	add("match", r.Match)
	add("timeout", r.Timeout)
	add("retries", r.Retries)
	add("fault", r.Fault)
	return out
}

// destinationDetail is what applies at a destination: its DestinationRule
// policies and the Envoy resources the route became.
func destinationDetail(m *model.Model, d networkingv1.Destination, ns string) []Field {
	host := m.DestinationHost(d.Host, ns)
	var out []Field
	if dr := ruleFor(m, host); dr != nil {
		out = append(out, Field{"destination rule", dr.Ref.String()})
		out = append(out, policyFields("policy", dr.Spec.TrafficPolicy)...)
		for _, ss := range dr.Spec.Subsets {
			if ss.Name == d.Subset {
				out = append(out, policyFields("subset policy", ss.TrafficPolicy)...)
			}
		}
	}
	s, ok := m.Services[host]
	if !ok {
		return append(out, Field{"registry", "host " + host + " is not in the registry"})
	}
	var port uint32
	if d.Port != nil {
		port = uint32(d.Port.Number)
	}
	return append(out, envoyNames(s, d.Subset, port)...)
}

func destText(m *model.Model, d networkingv1.Destination, ns string) string {
	out := m.DestinationHost(d.Host, ns)
	if d.Subset != "" {
		out += " subset " + d.Subset
	}
	if d.Port != nil {
		out += fmt.Sprintf(" port %d", d.Port.Number)
	}
	return out
}

// envoyNames are the outbound resources a sidecar gets for the service:
// per port (only port when not 0) its cluster and, for HTTP ports, the
// route configuration and virtual host.
func envoyNames(s *model.Service, subset string, port uint32) []Field {
	var out []Field
	for _, p := range s.Ports {
		if port != 0 && p.Number != port {
			continue
		}
		out = append(out, Field{"envoy cluster", names.OutboundCluster(p.Number, subset, s.Hostname)})
		if p.Protocol.IsHTTP() {
			out = append(out, Field{"envoy route config", names.OutboundRouteConfig(p.Number)},
				Field{"envoy virtual host", names.VirtualHost(s.Hostname, p.Number)})
		}
	}
	return out
}

// ruleFor is the DestinationRule that applies to host: the first in
// precedence order.
func ruleFor(m *model.Model, host string) *model.DestinationRule {
	for _, dr := range m.DestinationRules {
		if dr.Host == host {
			return dr
		}
	}
	return nil
}

// policyFields shows each part of a traffic policy (connection pool,
// outlier detection, load balancer, tls, ...) on its own line.
func policyFields(prefix string, tp *networkingv1.TrafficPolicy) []Field {
	if tp == nil {
		return nil
	}
	b, err := json.Marshal(tp)
	if err != nil {
		return []Field{{prefix, err.Error()}}
	}
	var parts map[string]json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil {
		return []Field{{prefix, string(b)}}
	}
	keys := make([]string, 0, len(parts))
	for k := range parts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Field, 0, len(keys))
	for _, k := range keys {
		out = append(out, Field{prefix + " " + k, string(parts[k])})
	}
	return out
}

func labelText(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+l[k])
	}
	return strings.Join(parts, ", ")
}
