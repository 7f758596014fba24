package promtest

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
)

// dashboard is the part of a Grafana dashboard's JSON that queries.
type dashboard struct {
	Title  string `json:"title"`
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Query any `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

// DashboardSeries reads a Grafana dashboard, parses every panel query
// with Prometheus' PromQL parser, and returns the metric names they read
// (a histogram's _bucket, _sum and _count as the histogram's name),
// sorted. A dashboard that is not JSON, has a panel without a query, or a
// query PromQL refuses, fails the test.
func DashboardSeries(t testing.TB, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s is not a dashboard's JSON: %v", path, err)
	}
	if d.Title == "" || len(d.Panels) == 0 {
		t.Fatalf("%s has no title or no panels", path)
	}
	seen := map[string]bool{}
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("%s: panel %q has no query", path, p.Title)
		}
		for _, tg := range p.Targets {
			expr, err := parser.NewParser(parser.Options{}).ParseExpr(tg.Expr)
			if err != nil {
				t.Errorf("%s: panel %q: %v", path, p.Title, err)
				continue
			}
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				if vs, ok := n.(*parser.VectorSelector); ok {
					seen[histogramName(vs.Name)] = true
				}
				return nil
			})
		}
	}
	for _, v := range d.Templating.List {
		if q, ok := v.Query.(string); ok && strings.HasPrefix(q, "label_values(") {
			name, _, _ := strings.Cut(strings.TrimPrefix(q, "label_values("), ",")
			seen[strings.TrimSpace(name)] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func histogramName(n string) string {
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if strings.HasSuffix(n, suffix) {
			return strings.TrimSuffix(n, suffix)
		}
	}
	return n
}
