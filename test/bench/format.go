package bench

import (
	"fmt"
	"strings"
	"time"
)

// dur formats a duration for people: 0.42 ms, 123 ms, 12.3 s.
func dur(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
}

// durList lists a few reconcile durations, or summarizes many.
func durList(d []time.Duration) string {
	if len(d) == 0 {
		return "none logged"
	}
	if len(d) <= 5 {
		parts := make([]string, len(d))
		for i, x := range d {
			parts[i] = dur(x)
		}
		return "took " + strings.Join(parts, ", ")
	}
	s := summarize(d)
	return fmt.Sprintf("median %s, max %s", dur(s.P50), dur(s.Max))
}

// shortFunc drops the module paths from a function name.
func shortFunc(name string) string {
	for _, p := range []string{"github.com/sailplane/sailplane/", "github.com/envoyproxy/go-control-plane/", "google.golang.org/", "sigs.k8s.io/", "k8s.io/"} {
		name = strings.TrimPrefix(name, p)
	}
	return name
}

func kib(b int) string {
	if b >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%.0f KiB", float64(b)/(1<<10))
}

func perChange(d time.Duration, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return d / time.Duration(n)
}
