package mesh

import (
	"strings"

	"github.com/sailplane/sailplane/internal/model"
)

// Condition values sailplane writes on every Istio object.
const (
	ConditionAccepted = "Accepted"
	ReasonAccepted    = "Accepted"
	ReasonInvalid     = "Invalid"
	// maxMessage keeps status messages within what users read (and under
	// the API server's limit for condition messages).
	maxMessage = 4096
)

// ObjectStatus is the Accepted condition an object should carry.
type ObjectStatus struct {
	Object   model.ObjectRef
	Accepted bool
	Reason   string
	Message  string
}

// Statuses turns the model's problems (including those found while
// generating) into one Accepted condition per object, sorted.
func Statuses(st *model.Status) []ObjectStatus {
	var out []ObjectStatus
	for _, ref := range st.Objects() {
		if ref.Kind == "Proxy" {
			continue
		}
		probs := st.Problems(ref)
		if len(probs) == 0 {
			out = append(out, ObjectStatus{Object: ref, Accepted: true, Reason: ReasonAccepted, Message: "accepted by sailplane"})
			continue
		}
		var msgs []string
		for _, p := range probs {
			if p.Field == "" {
				msgs = append(msgs, p.Reason)
			} else {
				msgs = append(msgs, p.Field+": "+p.Reason)
			}
		}
		msg := strings.Join(msgs, "; ")
		if len(msg) > maxMessage {
			msg = msg[:maxMessage-3] + "..."
		}
		out = append(out, ObjectStatus{Object: ref, Reason: ReasonInvalid, Message: msg})
	}
	return out
}
