package iptables

import (
	"fmt"
	"slices"
)

// Chains sailplane owns. Every one of them is declared (and so emptied) by
// each run when it exists, which is what makes a rerun converge.
const (
	ChainInbound    = "ISTIO_INBOUND"
	ChainInRedirect = "ISTIO_IN_REDIRECT"
	ChainOutput     = "ISTIO_OUTPUT"
	ChainRedirect   = "ISTIO_REDIRECT"
	ChainDivert     = "ISTIO_DIVERT"
	ChainTProxy     = "ISTIO_TPROXY"
)

// ownChains in declaration order.
var ownChains = []string{ChainInbound, ChainInRedirect, ChainOutput, ChainRedirect, ChainDivert, ChainTProxy}

func isOwnChain(name string) bool { return slices.Contains(ownChains, name) }

// Tables sailplane writes to.
const (
	TableNat    = "nat"
	TableMangle = "mangle"
)

// Rule is one appended rule, Spec in the exact form iptables-save prints
// (so a live rule can be recognised by text).
type Rule struct {
	Chain string
	Spec  string
}

func (r Rule) String() string { return "-A " + r.Chain + " " + r.Spec }

// Table is what one table of one family must contain after a run.
type Table struct {
	Name   string
	Chains []string // own chains, declaration order
	Rules  []Rule   // in order; own chains' rules and built-in chains' rules
}

// RuleSet is everything one family needs: its tables, and the policy
// routing commands TPROXY depends on.
type RuleSet struct {
	Family Family
	Tables []Table
	Routes []RouteStep
}

// table collects rules for one table, declaring own chains on first use.
type table struct {
	t Table
}

func newTable(name string) *table { return &table{t: Table{Name: name}} }

// add appends a rule built from format and args.
func (b *table) add(chain, format string, args ...any) {
	if isOwnChain(chain) {
		b.declare(chain)
	}
	b.t.Rules = append(b.t.Rules, Rule{Chain: chain, Spec: fmt.Sprintf(format, args...)})
}

func (b *table) declare(chain string) {
	if !slices.Contains(b.t.Chains, chain) {
		b.t.Chains = append(b.t.Chains, chain)
	}
}

// Build returns the rules of cfg for family f. The order of rules inside a
// chain is the order the kernel evaluates them, so it follows Istio's.
func Build(cfg Config, f Family) RuleSet {
	nat := newTable(TableNat)
	if cfg.Mode == ModeRedirect && cfg.CapturesInbound() {
		inboundRedirect(nat, cfg)
	}
	nat.add(ChainInRedirect, "-p tcp -j REDIRECT --to-ports %d", cfg.InboundCapturePort)
	outbound(nat, cfg, f)
	rs := RuleSet{Family: f, Tables: []Table{nat.t}}
	if cfg.Mode == ModeTProxy && cfg.CapturesInbound() {
		mangle := newTable(TableMangle)
		inboundTProxy(mangle, cfg, f)
		rs.Tables = append(rs.Tables, mangle.t)
		rs.Routes = tproxyRoutes(cfg, f)
	}
	if f == IPv6 {
		rs.Routes = append([]RouteStep{passthroughAddress()}, rs.Routes...)
	}
	return rs
}
