package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestRegisterSharesTheFirstCollector(t *testing.T) {
	reg := prometheus.NewRegistry()
	opts := prometheus.CounterOpts{Name: "sailplane_test_total", Help: "test"}
	first := Register(reg, prometheus.NewCounter(opts))
	second := Register(reg, prometheus.NewCounter(opts))
	second.Inc()
	if first != second {
		t.Fatal("a second collector of the same name was not replaced by the first")
	}
	vec := Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sailplane_vec_total", Help: "test"}, []string{"l"}))
	if again := Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sailplane_vec_total", Help: "test"}, []string{"l"})); again != vec {
		t.Fatal("a second vector of the same name was not replaced by the first")
	}
	if c := Register(nil, prometheus.NewCounter(opts)); c == nil {
		t.Fatal("a nil registry must hand the collector back")
	}
}
