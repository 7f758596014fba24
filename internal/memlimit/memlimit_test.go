package memlimit

import (
	"math"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	cases := []struct {
		spec, env, cgroup string
		want              int64
		source            string
	}{
		{"auto", "", "max\n", 0, "none"},
		{"auto", "", "", 0, "none"},
		{"auto", "", "1073741824\n", 966367641, "90% of the container"},
		{"", "", "1000", 900, "90%"},
		{"auto", "2GiB", "1073741824", 0, "GOMEMLIMIT=2GiB"},
		{"1536MiB", "2GiB", "max", 1536 << 20, "--memory-limit 1536MiB"},
		{"2Gi", "", "", 2 << 30, "--memory-limit"},
		{"800M", "", "", 800e6, "--memory-limit"},
		{"123456", "", "", 123456, "--memory-limit"},
		{"off", "", "1000", math.MaxInt64, "off"},
	}
	for _, c := range cases {
		got, err := Resolve(c.spec, c.env, c.cgroup)
		if err != nil {
			t.Errorf("Resolve(%q, %q, %q): %v", c.spec, c.env, c.cgroup, err)
			continue
		}
		if got.Bytes != c.want || !strings.Contains(got.Source, c.source) {
			t.Errorf("Resolve(%q, %q, %q) = %+v, want %d from %q", c.spec, c.env, c.cgroup, got, c.want, c.source)
		}
	}
}

func TestResolveRejects(t *testing.T) {
	for _, spec := range []string{"lots", "-1GiB", "1.5XB", "GiB", "1e400"} {
		if _, err := Resolve(spec, "", ""); err == nil || !strings.Contains(err.Error(), "--memory-limit") {
			t.Errorf("Resolve(%q): error %v, want one naming --memory-limit", spec, err)
		}
	}
}
