package mesh

// RejectionLog says which rejections are news. The tracker keeps a
// proxy's NACK until the proxy ACKs a later version, and every full
// rebuild reads them all again (their status has to be written again each
// time); a log line, though, is wanted once per (node, type, version).
//
// It remembers only the rejections of the latest call: one that is gone
// (a later version was ACKed, the proxy left) is forgotten, so memory is
// bounded by the NACKs currently held. Not safe for concurrent use; the
// mesh reconciler runs one reconcile at a time.
type RejectionLog struct {
	seen map[rejectionKey]bool
}

type rejectionKey struct{ node, typeURL, version string }

// Fresh returns the rejections not returned by the previous call, in
// their order, and remembers all of rejections for the next one.
func (l *RejectionLog) Fresh(rejections []Rejection) []Rejection {
	now := make(map[rejectionKey]bool, len(rejections))
	var out []Rejection
	for _, rj := range rejections {
		k := rejectionKey{rj.NodeID, rj.TypeURL, rj.Version}
		if !l.seen[k] && !now[k] {
			out = append(out, rj)
		}
		now[k] = true
	}
	l.seen = now
	return out
}
