package policy

import (
	"fmt"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// Paths records, for each section of an effective policy, the field path of
// the layer it came from ("trafficPolicy",
// "subsets[1].trafficPolicy.portLevelSettings[0]", ...), so an error in a
// section inherited from the top level is reported where the user wrote it.
// An empty entry means the section is unset.
type Paths struct {
	LoadBalancer     string
	ConnectionPool   string
	OutlierDetection string
	TLS              string
	Tunnel           string
	ProxyProtocol    string
	RetryBudget      string
}

func (p *Paths) of(s section) string {
	return *p.slot(s)
}

func (p *Paths) slot(s section) *string {
	return [...]*string{
		&p.LoadBalancer, &p.ConnectionPool, &p.OutlierDetection, &p.TLS,
		&p.Tunnel, &p.ProxyProtocol, &p.RetryBudget,
	}[s]
}

// Effective merges Istio's layers into the policy for one port of one
// subset (subset nil for the service's default cluster; port 0 skips
// port-level settings). It implements Istio's MergeSubsetTrafficPolicy, in
// this order, each step replacing sections whole (never merging fields):
//
//  1. the top-level policy's sections;
//  2. the top-level portLevelSettings entry for the port, if any: it
//     replaces loadBalancer, connectionPool, outlierDetection and tls all
//     four, even those it leaves unset, which fall back to Istio's defaults
//     (Istio documents that port-level settings do not inherit);
//  3. each section the subset's policy sets (all seven: the four above plus
//     tunnel, proxyProtocol and retryBudget);
//  4. the subset's portLevelSettings entry for the port, replacing the four
//     port-level sections as in step 2.
//
// Only the first entry matching the port counts, as in Istio. Tunnel,
// proxyProtocol and retryBudget cannot be set per port, so steps 2 and 4
// keep them (Istio drops them there, which reads as an accident). The
// result has no portLevelSettings; it shares section pointers with the
// inputs, which Apply and HashPolicy only read. Nil when both are nil.
func Effective(top, subset *networkingv1.TrafficPolicy, port uint32) *networkingv1.TrafficPolicy {
	p, _ := merge(top, subset, port, "", "")
	return p
}

// EffectivePaths tells where each section of Effective(top, subset, port)
// came from, given the field paths of the two layers (for example
// "trafficPolicy" and "subsets[1].trafficPolicy"). Pass it as
// Options.Paths for exact error paths.
func EffectivePaths(top, subset *networkingv1.TrafficPolicy, port uint32, topField, subsetField string) *Paths {
	_, paths := merge(top, subset, port, topField, subsetField)
	return &paths
}

func merge(top, subset *networkingv1.TrafficPolicy, port uint32, topField, subsetField string) (*networkingv1.TrafficPolicy, Paths) {
	if top == nil && subset == nil {
		return nil, Paths{}
	}
	m := merger{}
	m.layer(top, topField)
	m.portLevel(top, port, topField)
	m.layer(subset, subsetField)
	m.portLevel(subset, port, subsetField)
	return &m.p, m.paths
}

type merger struct {
	p     networkingv1.TrafficPolicy
	paths Paths
}

// layer takes every section src sets.
func (m *merger) layer(src *networkingv1.TrafficPolicy, field string) {
	if src == nil {
		return
	}
	if src.LoadBalancer != nil {
		m.p.LoadBalancer, m.paths.LoadBalancer = src.LoadBalancer, field
	}
	if src.ConnectionPool != nil {
		m.p.ConnectionPool, m.paths.ConnectionPool = src.ConnectionPool, field
	}
	if src.OutlierDetection != nil {
		m.p.OutlierDetection, m.paths.OutlierDetection = src.OutlierDetection, field
	}
	if src.TLS != nil {
		m.p.TLS, m.paths.TLS = src.TLS, field
	}
	if src.Tunnel != nil {
		m.p.Tunnel, m.paths.Tunnel = src.Tunnel, field
	}
	if src.ProxyProtocol != nil {
		m.p.ProxyProtocol, m.paths.ProxyProtocol = src.ProxyProtocol, field
	}
	if src.RetryBudget != nil {
		m.p.RetryBudget, m.paths.RetryBudget = src.RetryBudget, field
	}
}

// portLevel replaces the four per-port sections with src's entry for port.
func (m *merger) portLevel(src *networkingv1.TrafficPolicy, port uint32, field string) {
	if src == nil || port == 0 {
		return
	}
	for i := range src.PortLevelSettings {
		pl := &src.PortLevelSettings[i]
		if pl.Port == nil || uint32(pl.Port.Number) != port {
			continue
		}
		at := fmt.Sprintf("%s.portLevelSettings[%d]", field, i)
		if field == "" {
			at = ""
		}
		m.p.LoadBalancer, m.paths.LoadBalancer = pl.LoadBalancer, pathIf(pl.LoadBalancer != nil, at)
		m.p.ConnectionPool, m.paths.ConnectionPool = pl.ConnectionPool, pathIf(pl.ConnectionPool != nil, at)
		m.p.OutlierDetection, m.paths.OutlierDetection = pl.OutlierDetection, pathIf(pl.OutlierDetection != nil, at)
		m.p.TLS, m.paths.TLS = pl.TLS, pathIf(pl.TLS != nil, at)
		return
	}
}

func pathIf(set bool, path string) string {
	if set {
		return path
	}
	return ""
}
