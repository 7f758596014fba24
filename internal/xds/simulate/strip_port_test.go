package simulate

import "testing"

// The Host header loses a numeric port and nothing else, as Envoy's
// ignore_port_in_host_matching does.
func TestStripPort(t *testing.T) {
	for in, want := range map[string]string{
		"reviews":            "reviews",
		"reviews:9080":       "reviews",
		"10.0.0.1:80":        "10.0.0.1",
		"[fd00::1]:8080":     "[fd00::1]",
		"[fd00::1]":          "[fd00::1]",
		"fd00::1":            "fd00::1",
		"reviews:http":       "reviews:http",
		"reviews:":           "reviews:",
		"a.example.com:443":  "a.example.com",
		"*.example.com:8443": "*.example.com",
	} {
		if got := stripPort(in); got != want {
			t.Errorf("stripPort(%q) = %q, want %q", in, got, want)
		}
	}
}
