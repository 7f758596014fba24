package parallel

import (
	"sync/atomic"
	"testing"
)

func TestEachRunsEveryIndexOnce(t *testing.T) {
	var runs [100]atomic.Int32
	Each(len(runs), func(i int) { runs[i].Add(1) })
	for i := range runs {
		if n := runs[i].Load(); n != 1 {
			t.Errorf("index %d ran %d times", i, n)
		}
	}
	Each(0, func(int) { t.Error("nothing to run") })
}
