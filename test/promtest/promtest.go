// Package promtest is Prometheus in a test: scrapes (a /metrics body in
// the text exposition format, optionally through relabel rules) go into a
// TSDB head, and PromQL queries run over it with Prometheus's own engine,
// in process. It also holds the graph queries Kiali sends, so tests can
// check that what sailplane exports draws Kiali's graph.
package promtest

import (
	"context"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/util/teststorage"
)

// Prometheus is one in-process store and query engine.
type Prometheus struct {
	store  *teststorage.TestStorage
	engine *promql.Engine
}

// New starts an empty store; it is removed when the test ends.
func New(t testing.TB) *Prometheus {
	return &Prometheus{
		store:  teststorage.New(t),
		engine: promql.NewEngine(promql.EngineOpts{MaxSamples: 1e6, Timeout: time.Minute, LookbackDelta: 5 * time.Minute}),
	}
}

// Ingest stores every counter and gauge sample of a scrape at ts, as a
// scrape of a target with the given target labels would (job, instance,
// ...), after metric relabelling with rules, the way Prometheus applies
// metric_relabel_configs: a sample the rules drop is not stored. It
// returns the series stored.
func (p *Prometheus) Ingest(t testing.TB, exposition string, ts time.Time, target map[string]string, rules []*relabel.Config) []labels.Labels {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(exposition))
	if err != nil {
		t.Fatalf("parsing the exposition: %v", err)
	}
	app := p.store.Appender(context.Background())
	var stored []labels.Labels
	for name, fam := range fams {
		for _, m := range fam.GetMetric() {
			v, ok := value(fam.GetType(), m)
			if !ok {
				continue
			}
			b := labels.NewBuilder(labels.EmptyLabels())
			for k, v := range target {
				b.Set(k, v)
			}
			for _, l := range m.GetLabel() {
				b.Set(l.GetName(), l.GetValue())
			}
			b.Set(labels.MetricName, name)
			if !relabel.ProcessBuilder(b, rules...) {
				continue
			}
			ls := b.Labels()
			if _, err := app.Append(0, ls, ts.UnixMilli(), v); err != nil {
				t.Fatalf("storing %s: %v", ls, err)
			}
			stored = append(stored, ls)
		}
	}
	if err := app.Commit(); err != nil {
		t.Fatal(err)
	}
	return stored
}

func value(typ dto.MetricType, m *dto.Metric) (float64, bool) {
	switch typ {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue(), true
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue(), true
	case dto.MetricType_UNTYPED:
		return m.GetUntyped().GetValue(), true
	}
	return 0, false
}

// Query evaluates an instant query at ts.
func (p *Prometheus) Query(t testing.TB, q string, ts time.Time) promql.Vector {
	t.Helper()
	qry, err := p.engine.NewInstantQuery(context.Background(), p.store, nil, q, ts)
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	defer qry.Close()
	res := qry.Exec(context.Background())
	if res.Err != nil {
		t.Fatalf("query %s: %v", q, res.Err)
	}
	v, err := res.Vector()
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	return v
}
