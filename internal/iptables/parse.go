package iptables

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// parser collects one error per bad flag value; its methods return a zero
// value on failure so Config can keep going and report everything.
type parser struct {
	errs []error
}

func (p *parser) fail(name, value, why string) {
	p.errs = append(p.errs, fmt.Errorf("flag -%s %q: %s", name, value, why))
}

// items splits a comma-separated list, trimming blanks and dropping empty
// items (annotations often read "15090, 15021," and Istio accepts that).
func items(s string) []string {
	var out []string
	for _, it := range strings.Split(s, ",") {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return uint16(n), nil
}

func (p *parser) port(name, s string) uint16 {
	n, err := parsePort(strings.TrimSpace(s))
	if err != nil {
		p.fail(name, s, err.Error())
	}
	return n
}

func (p *parser) ports(name, s string) []uint16 {
	var out []uint16
	seen := map[uint16]bool{}
	for _, it := range items(s) {
		n, err := parsePort(it)
		if err != nil {
			p.fail(name, s, err.Error())
			continue
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

func (p *parser) portsOrAll(name, s string) (bool, []uint16) {
	if strings.TrimSpace(s) == "*" {
		return true, nil
	}
	if strings.Contains(s, "*") {
		p.fail(name, s, `"*" must stand alone`)
		return false, nil
	}
	return false, p.ports(name, s)
}

func (p *parser) cidrs(name, s string) []netip.Prefix {
	var out []netip.Prefix
	seen := map[netip.Prefix]bool{}
	for _, it := range items(s) {
		pfx, err := netip.ParsePrefix(it)
		if err != nil {
			p.fail(name, s, fmt.Sprintf("%q is not a CIDR (want address/bits, e.g. 10.0.0.0/8 or fd00::/8)", it))
			continue
		}
		// iptables stores the network address; masking here makes the
		// rules we print equal to what iptables-save prints back.
		pfx = pfx.Masked()
		if !seen[pfx] {
			seen[pfx] = true
			out = append(out, pfx)
		}
	}
	return out
}

func (p *parser) cidrsOrAll(name, s string) (bool, []netip.Prefix) {
	if strings.TrimSpace(s) == "*" {
		return true, nil
	}
	if strings.Contains(s, "*") {
		p.fail(name, s, `"*" must stand alone`)
		return false, nil
	}
	return false, p.cidrs(name, s)
}

func (p *parser) uint32(name, s string) (uint32, bool) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil {
		p.fail(name, s, "not a number between 0 and 4294967295")
		return 0, false
	}
	return uint32(n), true
}

func (p *parser) ids(name, s string) []uint32 {
	var out []uint32
	seen := map[uint32]bool{}
	for _, it := range items(s) {
		n, err := strconv.ParseUint(it, 10, 32)
		// 4294967295 is (uid_t)-1, "no user", which the owner match rejects.
		if err != nil || n == 1<<32-1 {
			p.fail(name, s, fmt.Sprintf("%q is not a numeric user or group ID", it))
			continue
		}
		if !seen[uint32(n)] {
			seen[uint32(n)] = true
			out = append(out, uint32(n))
		}
	}
	return out
}
