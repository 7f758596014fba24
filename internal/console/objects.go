package console

import "github.com/sailplane/sailplane/internal/model"

// Object is one Istio object on the Config page.
type Object struct {
	Kind      string    `json:"kind"`
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
	Accepted  bool      `json:"accepted"`
	Problems  []Problem `json:"problems"`
}

// Problem is a field of the object and what is wrong with it.
type Problem struct {
	Field   string `json:"field"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// buildObjects lists every object the model saw, sorted, with the
// Accepted condition its status gets (accepted when it has no problems;
// a proxy's NACK is one of the problems, on the object that caused it).
func buildObjects(m *model.Model) []Object {
	out := []Object{}
	if m.Status == nil {
		return out
	}
	for _, ref := range m.Status.Objects() {
		o := Object{Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name, Problems: []Problem{}}
		for _, p := range m.Status.Problems(ref) {
			o.Problems = append(o.Problems, Problem{Field: p.Field, Reason: p.Reason, Message: model.FormatProblem(ref, p)})
		}
		o.Accepted = len(o.Problems) == 0
		out = append(out, o)
	}
	return out
}
