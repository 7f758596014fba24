package xdsserver

// Connected reports whether the node has a stream open now. A reconcile
// translates the nodes connected when it began; one that has gone since
// needs no snapshot (it gets a fresh reconcile when it comes back, as
// every new proxy does).
func (t *Tracker) Connected(nodeID string) bool {
	_, ok := t.channelOf(nodeID)
	return ok
}
