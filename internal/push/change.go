// Package push says what changed since the last publish, so that a
// reconcile can cost what changed (Istio's PushRequest{Full,
// ConfigsUpdated, Reason}). The controller's event handlers merge their
// changes into one pending Change; the reconcile takes it whole.
package push

import "sort"

// Reason is why a change was asked for.
type Reason string

// The reasons a change is asked for.
const (
	// Start is the first reconcile after the caches synced.
	Start Reason = "start"
	// Event is a watched object created, updated or deleted.
	Event Reason = "event"
	// NewProxy is a proxy that opened its first stream.
	NewProxy Reason = "new proxy"
	// Nack is a proxy that rejected a version: its status needs writing.
	Nack Reason = "nack"
	// Poke is an explicit request for a full reconcile (a certificate due
	// for renewal, the CA changed).
	Poke Reason = "poke"
	// Subscription is a proxyless client asking for other names.
	Subscription Reason = "subscription"
	// Retry is a reconcile that failed and runs again in full.
	Retry Reason = "retry"
	// Unsettled is a join that could not finish from the last model (a
	// node whose pod it does not know, a problem its status lacks).
	Unsettled Reason = "unsettled"
)

// Key names one object that changed.
type Key struct {
	Kind, Namespace, Name string
}

// Change is what changed since the last reconcile. Unlike Istio's Full,
// which means "not endpoints only", Full here means "recompute
// everything": nothing about the change is known (start, poke, NACK,
// retry). A change that is not Full is described by what it holds: the
// objects that changed and the proxies that joined.
type Change struct {
	Full bool
	// Configs are the objects whose events make up the change.
	Configs map[Key]struct{}
	// Proxies are the node ids of proxies that connected.
	Proxies map[string]struct{}
	// Reasons counts why the change was asked for.
	Reasons map[Reason]int
}

// FullChange is a change that recomputes everything, for reason.
func FullChange(reason Reason) Change {
	return Change{Full: true, Reasons: map[Reason]int{reason: 1}}
}

// Config is the change of one object.
func Config(k Key) Change {
	return Change{Configs: map[Key]struct{}{k: {}}, Reasons: map[Reason]int{Event: 1}}
}

// Joined is the change of proxies that connected.
func Joined(nodeIDs ...string) Change {
	c := Change{Proxies: map[string]struct{}{}, Reasons: map[Reason]int{NewProxy: len(nodeIDs)}}
	for _, id := range nodeIDs {
		c.Proxies[id] = struct{}{}
	}
	return c
}

// Merge returns the union of two changes; neither is modified.
func (c Change) Merge(o Change) Change {
	var out Change
	out.add(c)
	out.add(o)
	return out
}

// add merges o into c in place, at the cost of o's size: c's maps must
// be c's own (Merge's fresh ones, Pending's), and o's are only read, never
// kept, so a caller may go on changing the change it handed over.
func (c *Change) add(o Change) {
	c.Full = c.Full || o.Full
	c.Configs = addKeys(c.Configs, o.Configs)
	c.Proxies = addKeys(c.Proxies, o.Proxies)
	c.Reasons = addCounts(c.Reasons, o.Reasons)
}

// Empty reports whether nothing changed.
func (c Change) Empty() bool {
	return !c.Full && len(c.Configs) == 0 && len(c.Proxies) == 0
}

// JoinOnly reports whether the change is proxies connecting and nothing
// else: they can be configured from the last reconcile's model.
func (c Change) JoinOnly() bool {
	return !c.Full && len(c.Configs) == 0 && len(c.Proxies) > 0
}

// OnlyKinds reports whether every object that changed is of one of kinds
// (and something did, and no proxy joined, and the change is not Full).
func (c Change) OnlyKinds(kinds ...string) bool {
	if c.Full || len(c.Proxies) > 0 || len(c.Configs) == 0 {
		return false
	}
	for k := range c.Configs {
		if !contains(kinds, k.Kind) {
			return false
		}
	}
	return true
}

// Kinds lists the kinds of the objects that changed, sorted.
func (c Change) Kinds() []string {
	set := map[string]bool{}
	for k := range c.Configs {
		set[k.Kind] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// NodeIDs lists the proxies that joined, sorted.
func (c Change) NodeIDs() []string {
	out := make([]string, 0, len(c.Proxies))
	for id := range c.Proxies {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// addKeys adds src's keys to dst, made when needed; nil stays nil when
// nothing is added.
func addKeys[K comparable](dst, src map[K]struct{}) map[K]struct{} {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[K]struct{}, len(src))
	}
	for k := range src {
		dst[k] = struct{}{}
	}
	return dst
}

// addCounts adds src's counts to dst, made when needed.
func addCounts(dst, src map[Reason]int) map[Reason]int {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[Reason]int, len(src))
	}
	for k, n := range src {
		dst[k] += n
	}
	return dst
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
