package mesh

import (
	"reflect"
	"testing"
)

func TestRejectionLogReportsEachNackOnce(t *testing.T) {
	a := Rejection{NodeID: "sidecar~1", TypeURL: "cds", Version: "v1", Error: "bad"}
	b := Rejection{NodeID: "sidecar~2", TypeURL: "cds", Version: "v1", Error: "bad"}
	a2 := a
	a2.Version = "v2"
	var l RejectionLog
	steps := []struct {
		name    string
		in, out []Rejection
	}{
		{"first sight", []Rejection{a}, []Rejection{a}},
		{"the same NACK on the next rebuild", []Rejection{a}, nil},
		{"and on the one after, with a new one", []Rejection{a, b}, []Rejection{b}},
		{"the same node NACKs a later version", []Rejection{a2, b}, []Rejection{a2}},
		{"all ACKed", nil, nil},
		{"an old version NACKed again after it was cleared is news again", []Rejection{a}, []Rejection{a}},
		{"duplicates within one call count once", []Rejection{b, b}, []Rejection{b}},
	}
	for _, s := range steps {
		if got := l.Fresh(s.in); !reflect.DeepEqual(got, s.out) {
			t.Errorf("%s: Fresh = %v, want %v", s.name, got, s.out)
		}
	}
}
