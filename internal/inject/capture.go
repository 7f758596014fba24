package inject

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sailplane/sailplane/internal/defaults"
)

// capture is what istio-init redirects for one pod: the settings with the
// pod's traffic annotations applied over them.
type capture struct {
	mode                    string
	includeOutboundIPRanges []string // ["*"] captures every destination
	excludeOutboundIPRanges []string
	includeInboundPorts     []string // ["*"] captures every port; empty none
	excludeInboundPorts     []string // starts with the proxy's own ports
	includeOutboundPorts    []string
	excludeOutboundPorts    []string
}

// proxyInboundPorts are never captured inbound: Prometheus and the kubelet
// must reach Envoy's stats and health listeners directly (Istio's -d).
var proxyInboundPorts = []string{
	strconv.Itoa(defaults.EnvoyPrometheusPort),
	strconv.Itoa(defaults.HealthPort),
	strconv.Itoa(defaults.MergedMetricsPort),
}

func captureFor(ann map[string]string, s Settings) (capture, error) {
	c := capture{mode: s.InterceptionMode}
	if v, ok := ann[AnnotationInterceptionMode]; ok {
		if !validMode(v) {
			return c, &AnnotationError{AnnotationInterceptionMode, v, "want REDIRECT, TPROXY or NONE"}
		}
		c.mode = v
	}
	cidrs := func(all bool) func(string) ([]string, error) {
		return func(v string) ([]string, error) { return parseCIDRs(v, all) }
	}
	ports := func(all bool) func(string) ([]string, error) {
		return func(v string) ([]string, error) { return parsePorts(v, all) }
	}
	fields := []struct {
		key   string
		def   string
		parse func(string) ([]string, error)
		into  *[]string
	}{
		{AnnotationIncludeOutboundIPRanges, defaults.IncludeOutboundIPRanges, cidrs(true), &c.includeOutboundIPRanges},
		{AnnotationExcludeOutboundIPRanges, s.ExcludeOutboundIPRanges, cidrs(false), &c.excludeOutboundIPRanges},
		{AnnotationIncludeInboundPorts, defaults.IncludeInboundPorts, ports(true), &c.includeInboundPorts},
		{AnnotationExcludeInboundPorts, "", ports(false), &c.excludeInboundPorts},
		{AnnotationIncludeOutboundPorts, "", ports(false), &c.includeOutboundPorts},
		{AnnotationExcludeOutboundPorts, "", ports(false), &c.excludeOutboundPorts},
	}
	for _, f := range fields {
		v, ok := ann[f.key]
		if !ok {
			v = f.def
		}
		list, err := f.parse(v)
		if err != nil {
			return c, &AnnotationError{f.key, v, err.Error()}
		}
		*f.into = list
	}
	if err := c.checkConflicts(ann); err != nil {
		return c, err
	}
	c.excludeInboundPorts = appendUnique(append([]string(nil), proxyInboundPorts...), c.excludeInboundPorts...)
	return c, nil
}

// checkConflicts refuses a port or range that a pod both includes and
// excludes: whichever rule wins, the pod's author expected the other.
func (c capture) checkConflicts(ann map[string]string) error {
	pairs := []struct {
		include, exclude       []string
		includeKey, excludeKey string
	}{
		{c.includeInboundPorts, c.excludeInboundPorts, AnnotationIncludeInboundPorts, AnnotationExcludeInboundPorts},
		{c.includeOutboundPorts, c.excludeOutboundPorts, AnnotationIncludeOutboundPorts, AnnotationExcludeOutboundPorts},
		{c.includeOutboundIPRanges, c.excludeOutboundIPRanges, AnnotationIncludeOutboundIPRanges, AnnotationExcludeOutboundIPRanges},
	}
	for _, p := range pairs {
		if item, ok := overlap(p.include, p.exclude); ok {
			return &AnnotationError{p.excludeKey, ann[p.excludeKey],
				fmt.Sprintf("%s is also listed in %s; remove it from one of them", item, p.includeKey)}
		}
	}
	return nil
}

// initArgs are istio-iptables' flags for this capture, in Istio's order
// (-p -z -u -g -m -i -x -b -d, then -o and -q when set).
func (c capture) initArgs() []string {
	args := []string{
		"-p", strconv.Itoa(defaults.OutboundCapturePort),
		"-z", strconv.Itoa(defaults.InboundCapturePort),
		"-u", strconv.Itoa(defaults.ProxyUID),
		"-g", strconv.Itoa(defaults.ProxyGID),
		"-m", c.mode,
		"-i", strings.Join(c.includeOutboundIPRanges, ","),
		"-x", strings.Join(c.excludeOutboundIPRanges, ","),
		"-b", strings.Join(c.includeInboundPorts, ","),
		"-d", strings.Join(c.excludeInboundPorts, ","),
	}
	if len(c.excludeOutboundPorts) > 0 {
		args = append(args, "-o", strings.Join(c.excludeOutboundPorts, ","))
	}
	if len(c.includeOutboundPorts) > 0 {
		args = append(args, "-q", strings.Join(c.includeOutboundPorts, ","))
	}
	return args
}
