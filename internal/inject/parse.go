package inject

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// AnnotationError says which annotation of a pod the injector cannot use
// and why; the webhook shows it to whoever created the pod.
type AnnotationError struct {
	Annotation string
	Value      string
	Reason     string
}

func (e *AnnotationError) Error() string {
	return fmt.Sprintf("annotation %s=%q: %s", e.Annotation, e.Value, e.Reason)
}

// splitList splits a comma-separated annotation value, trimming spaces and
// dropping empty items ("80, 443," is 80 and 443).
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parsePorts reads a port list. With allowAll, "*" alone means every port
// and is returned as is.
func parsePorts(v string, allowAll bool) ([]string, error) {
	items := splitList(v)
	if allowAll && len(items) == 1 && items[0] == "*" {
		return items, nil
	}
	out := make([]string, 0, len(items))
	for _, item := range items {
		n, err := strconv.Atoi(item)
		if err != nil || n < 1 || n > 65535 {
			if item == "*" && allowAll {
				return nil, fmt.Errorf("%q is only allowed alone, meaning every port", item)
			}
			return nil, fmt.Errorf("%q is not a port number from 1 to 65535", item)
		}
		out = append(out, strconv.Itoa(n)) // "080" and "80" are one port
	}
	return out, nil
}

// parseCIDRs reads a list of IPv4 or IPv6 CIDRs. With allowAll, "*" alone
// means every address.
func parseCIDRs(v string, allowAll bool) ([]string, error) {
	items := splitList(v)
	if allowAll && len(items) == 1 && items[0] == "*" {
		return items, nil
	}
	out := make([]string, 0, len(items))
	for _, item := range items {
		p, err := netip.ParsePrefix(item)
		if err != nil {
			if item == "*" && allowAll {
				return nil, fmt.Errorf("%q is only allowed alone, meaning every address", item)
			}
			return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8 or fd00::/8", item)
		}
		out = append(out, p.String())
	}
	return out, nil
}

// overlap returns the first item present in both lists.
func overlap(a, b []string) (string, bool) {
	seen := map[string]bool{}
	for _, x := range a {
		seen[x] = true
	}
	for _, y := range b {
		if seen[y] {
			return y, true
		}
	}
	return "", false
}

// appendUnique appends the items of more not yet in list, keeping order.
func appendUnique(list []string, more ...string) []string {
	for _, m := range more {
		found := false
		for _, l := range list {
			found = found || l == m
		}
		if !found {
			list = append(list, m)
		}
	}
	return list
}
