package iptables

import (
	"flag"
	"strconv"

	"github.com/sailplane/sailplane/internal/defaults"
)

// Options holds the istio-iptables flags as the user typed them. Config
// validates them; nothing else reads these strings.
type Options struct {
	OutboundCapturePort  string // -p
	InboundCapturePort   string // -z
	InboundTunnelPort    string // -e
	ProxyUID             string // -u
	ProxyGID             string // -g; empty means "same as -u"
	Mode                 string // -m
	IncludeOutboundCIDRs string // -i; "*" means every destination
	ExcludeOutboundCIDRs string // -x
	IncludeInboundPorts  string // -b; "*" means every port
	ExcludeInboundPorts  string // -d
	ExcludeOutboundPorts string // -o
	IncludeOutboundPorts string // -q
	TProxyMark           string // -t
	TProxyRouteTable     string // -r
}

// DefaultOptions are the values of an Istio-injected pod's istio-init:
// `-p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -x "" -b '*' -d
// 15090,15021,15020`. A flag left out means this value, so running the
// command bare captures like a default sidecar.
func DefaultOptions() Options {
	return Options{
		OutboundCapturePort:  itoa(defaults.OutboundCapturePort),
		InboundCapturePort:   itoa(defaults.InboundCapturePort),
		InboundTunnelPort:    itoa(defaults.InboundTunnelPort),
		ProxyUID:             itoa(defaults.ProxyUID),
		Mode:                 defaults.InterceptionMode,
		IncludeOutboundCIDRs: defaults.IncludeOutboundIPRanges,
		IncludeInboundPorts:  defaults.IncludeInboundPorts,
		ExcludeInboundPorts: itoa(defaults.EnvoyPrometheusPort) + "," +
			itoa(defaults.HealthPort) + "," + itoa(defaults.MergedMetricsPort),
		TProxyMark:       itoa(defaults.InboundTProxyMark),
		TProxyRouteTable: itoa(defaults.InboundTProxyRouteTable),
	}
}

// flagSpec ties one option to its istio-iptables short and long names.
type flagSpec struct {
	short, long, usage string
	value              *string
}

func (o *Options) specs() []flagSpec {
	return []flagSpec{
		{"p", "envoy-port", "port outbound TCP is redirected to", &o.OutboundCapturePort},
		{"z", "inbound-capture-port", "port inbound TCP is redirected to", &o.InboundCapturePort},
		{"e", "inbound-tunnel-port", "inbound port never captured (HBONE)", &o.InboundTunnelPort},
		{"u", "proxy-uid", "comma-separated UIDs whose traffic is never captured", &o.ProxyUID},
		{"g", "proxy-gid", "comma-separated GIDs whose traffic is never captured (default: the -u list)", &o.ProxyGID},
		{"m", "istio-inbound-interception-mode", "inbound capture mode: REDIRECT or TPROXY", &o.Mode},
		{"i", "istio-service-cidr", "comma-separated CIDRs whose outbound traffic is captured; '*' for all, empty for none", &o.IncludeOutboundCIDRs},
		{"x", "istio-service-exclude-cidr", "comma-separated CIDRs whose outbound traffic is never captured", &o.ExcludeOutboundCIDRs},
		{"b", "istio-inbound-ports", "comma-separated inbound ports to capture; '*' for all, empty for none", &o.IncludeInboundPorts},
		{"d", "istio-local-exclude-ports", "comma-separated inbound ports never captured", &o.ExcludeInboundPorts},
		{"o", "istio-local-outbound-ports-exclude", "comma-separated outbound ports never captured", &o.ExcludeOutboundPorts},
		{"q", "istio-outbound-ports", "comma-separated outbound ports always captured", &o.IncludeOutboundPorts},
		{"t", "istio-inbound-tproxy-mark", "packet mark used by TPROXY mode", &o.TProxyMark},
		{"r", "istio-inbound-tproxy-route-table", "routing table used by TPROXY mode", &o.TProxyRouteTable},
	}
}

// Register adds every istio-iptables flag, under its short and its long
// name, to fs. The values already in o are the defaults.
func (o *Options) Register(fs *flag.FlagSet) {
	for _, s := range o.specs() {
		fs.StringVar(s.value, s.short, *s.value, s.usage)
		fs.StringVar(s.value, s.long, *s.value, "same as -"+s.short)
	}
}

// Args renders o as a command line (short flags, every value explicit),
// which is what an injector puts into the init container.
func (o Options) Args() []string {
	var args []string
	for _, s := range o.specs() {
		args = append(args, "-"+s.short, *s.value)
	}
	return args
}

func itoa(n int) string { return strconv.Itoa(n) }
