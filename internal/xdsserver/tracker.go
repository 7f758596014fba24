package xdsserver

import (
	"sort"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/listid"
	"github.com/sailplane/sailplane/internal/metrics"
	"github.com/sailplane/sailplane/internal/names"
)

// ProxyStatus is what `sailctl proxy-status` shows for one proxy: which
// version of each type it has accepted, and what it rejected.
type ProxyStatus struct {
	NodeID    string            `json:"nodeId"`
	Generator string            `json:"generator,omitempty"`
	Streams   int               `json:"streams"`
	Connected time.Time         `json:"connected"`
	Acked     map[string]string `json:"acked"`
	Sent      map[string]string `json:"sent"`
	Nacks     map[string]Nack   `json:"nacks,omitempty"`
	// Metadata is what sailplane reads of the node metadata the proxy
	// announced: the keys keptMetadata names.
	Metadata *structpb.Struct `json:"-"`
	// Locality is the node locality the proxy announced, if any.
	Locality *corev3.Locality `json:"-"`
	// Subscribed lists, per type, the resource names the proxy asked for;
	// empty means all (wildcard). The lists are shared with the streams
	// (and other proxies naming the same): read them, never modify them.
	Subscribed map[string][]string `json:"subscribed,omitempty"`
	// Port is "authenticated" (15012) or "plaintext" (15010).
	Port string `json:"port,omitempty"`
	// Identity is the verified caller on the authenticated port (its
	// SPIFFE id, and the pod a bound token names).
	Identity string `json:"identity,omitempty"`

	channel channel
	ident   *identity.Identity
	// version is the pilot_xds label the proxy is counted under.
	version string
	// push follows the writes of the current snapshot (pilot_metrics.go).
	push pushProgress
	// streamSubs is what each open stream last asked for, by type;
	// Subscribed is their union.
	streamSubs map[int64]map[string][]string
}

// Nack is a rejected version and the proxy's reason.
type Nack struct {
	Version string    `json:"version"`
	Error   string    `json:"error"`
	At      time.Time `json:"at"`
}

// Tracker follows every connected proxy. The ADS callbacks feed it.
type Tracker struct {
	mu      sync.Mutex
	proxies map[string]*ProxyStatus
	streams map[int64]string // stream key → node id
	// opened holds each open stream's port and verified identity, from
	// its first callback on.
	openStreams map[int64]streamInfo
	// pods counts connected proxies by the pod their node id names
	// ("<pod>.<namespace>").
	pods    map[string]int
	nacks   *prometheus.CounterVec
	metrics *pilotMetrics
	onNew   func(node *corev3.Node)
	// onSubscribe is called when a known proxy asks for a different set of
	// names (proxyless gRPC clients ask for listeners on demand).
	onSubscribe func(nodeID string)
	onNack      func(nodeID, typeURL, version, reason string)
}

func newTracker(reg prometheus.Registerer) *Tracker {
	t := &Tracker{
		proxies:     map[string]*ProxyStatus{},
		streams:     map[int64]string{},
		openStreams: map[int64]streamInfo{},
		pods:        map[string]int{},
		nacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sailplane_xds_nacks_total",
			Help: "Configuration versions rejected by proxies, by resource type.",
		}, []string{"type"}),
		metrics: newPilotMetrics(reg),
	}
	if reg != nil {
		// A second server in one process (tests run several replicas)
		// shares the counter already registered.
		t.nacks = metrics.Register(reg, t.nacks)
		_ = reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sailplane_xds_connected_proxies",
			Help: "Proxies with at least one open ADS stream.",
		}, func() float64 { return float64(t.connected()) }))
	}
	return t
}

// streamInfo is what a stream proved when it opened.
type streamInfo struct {
	channel channel
	ident   *identity.Identity
}

// opened records a new stream's port and verified identity (nil on the
// plaintext port).
func (t *Tracker) opened(streamKey int64, ch channel, ident *identity.Identity) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.openStreams[streamKey] = streamInfo{channel: ch, ident: ident}
}

// streamIdentity returns the verified identity of an open stream.
func (t *Tracker) streamIdentity(streamKey int64) (identity.Identity, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if info, ok := t.openStreams[streamKey]; ok && info.ident != nil {
		return *info.ident, true
	}
	return identity.Identity{}, false
}

// nodeOfStream is the node id a stream announced ("" before its first
// request).
func (t *Tracker) nodeOfStream(streamKey int64) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.streams[streamKey]
}

// join ties a stream to a known proxy: one port and one identity per
// proxy at a time, so a snapshot made for an authenticated proxy can never
// be read by a stream that proved less (callers hold t.mu).
func (t *Tracker) join(p *ProxyStatus, info streamInfo) error {
	if p.channel != info.channel {
		return status.Errorf(codes.PermissionDenied, "sailplane: node id %q is already connected on the %s port; a proxy is served on one port at a time", p.NodeID, p.channel)
	}
	if p.ident != nil && info.ident != nil && p.ident.SPIFFE() != info.ident.SPIFFE() {
		return status.Errorf(codes.PermissionDenied, "sailplane: node id %q is already connected as %s", p.NodeID, p.ident.SPIFFE())
	}
	return nil
}

// adoptNewerPod takes the identity of a stream that proved the same
// service account for another pod (a pod recreated under its name, whose
// old proxy's stream has not closed yet): its token was checked against
// the pod the informers hold now, so it names the live pod. Keeping the old
// pod's UID would leave the proxy unconfigured, matched to a pod that is
// gone. It reports whether the identity changed (callers hold t.mu).
func (p *ProxyStatus) adoptNewerPod(ident *identity.Identity) bool {
	if ident == nil || p.ident == nil || ident.PodUID == p.ident.PodUID {
		return false
	}
	id := *ident
	p.ident, p.Identity = &id, id.String()
	return true
}

// request records a (possibly first) request on a stream, or refuses a
// stream that would share a proxy with one of another port or identity.
func (t *Tracker) request(streamKey int64, node *corev3.Node, typeURL, ackedVersion string, isNack bool, subscribed []string) error {
	// newVersion is set for a proxy seen for the first time; its gauge is
	// raised after the lock is released (see closed).
	var newVersion string
	t.mu.Lock()
	id := node.GetId()
	if id == "" {
		id = t.streams[streamKey]
	}
	if id == "" {
		t.mu.Unlock()
		return nil
	}
	info := t.openStreams[streamKey]
	p, known := t.proxies[id]
	// renewed is set when a stream of a recreated pod joins the proxy a
	// stream of the old pod still holds open: the proxy is then
	// configured again, as the new pod (see adoptNewerPod).
	renewed := false
	if known {
		if _, joined := t.streams[streamKey]; !joined {
			if err := t.join(p, info); err != nil {
				t.mu.Unlock()
				return err
			}
			renewed = p.adoptNewerPod(info.ident)
		}
	} else {
		p = &ProxyStatus{NodeID: id, Connected: time.Now(), Acked: map[string]string{}, Sent: map[string]string{}, Nacks: map[string]Nack{}, Subscribed: map[string][]string{}}
		p.Generator = generatorOf(node)
		p.Metadata = keptMetadataOf(node)
		p.Locality = node.GetLocality()
		p.channel, p.ident, p.Port = info.channel, info.ident, info.channel.String()
		if info.ident != nil {
			p.Identity = info.ident.String()
		}
		p.version = versionOf(node)
		t.proxies[id] = p
		newVersion = p.version
		if key, ok := podOf(id); ok {
			t.pods[key]++
		}
	}
	if _, ok := t.streams[streamKey]; !ok {
		t.streams[streamKey] = id
		p.Streams++
	}
	if !isNack && ackedVersion != "" && typeURL != "" {
		p.Acked[typeURL] = ackedVersion
		if n, ok := p.Nacks[typeURL]; ok && n.Version != ackedVersion {
			delete(p.Nacks, typeURL) // a later version was accepted
		}
	}
	had := p.Subscribed[typeURL]
	// The node's subscription is what its streams ask for together: two
	// processes with one bootstrap (or a client reconnecting before its
	// old stream closed) name different resources, and the node's
	// filtered snapshot must hold what each of them asked for, or a
	// state-of-the-world answer would drop the other's clusters.
	changed, shared := false, false
	if typeURL != "" {
		if p.streamSubs == nil {
			p.streamSubs = map[int64]map[string][]string{}
		}
		if p.streamSubs[streamKey] == nil {
			p.streamSubs[streamKey] = map[string][]string{}
		}
		p.streamSubs[streamKey][typeURL] = subscribed
		if shared = len(p.streamSubs) > 1; shared {
			// Rare: merge under the lock, so that the streams' requests
			// cannot leave an older union behind.
			want := p.unionOf(typeURL)
			if changed = !sameNames(had, want); changed {
				p.Subscribed[typeURL] = want
			}
		}
	}
	onNew, onSubscribe := t.onNew, t.onSubscribe
	t.mu.Unlock()
	if newVersion != "" {
		t.metrics.xds.WithLabelValues(newVersion).Inc()
	}
	// Envoy names every load assignment it wants on each request: compare
	// outside the lock every stream's callbacks share. The stream hands the
	// list interned (sotw.go), shared with every proxy naming the same, so
	// it is kept as it is, and compared by reference first.
	if typeURL != "" && !shared && !sameNames(had, subscribed) {
		changed = true
		t.mu.Lock()
		p.Subscribed[typeURL] = subscribed
		t.mu.Unlock()
	}
	if (!known || renewed) && onNew != nil {
		onNew(node)
	}
	if known && changed && onSubscribe != nil {
		onSubscribe(id)
	}
	return nil
}

// unionOf is every name the proxy's streams ask for of typeURL (sorted
// when more than one stream asks); nil, everything, if one of them asks
// for all (callers hold t.mu).
func (p *ProxyStatus) unionOf(typeURL string) []string {
	var lists [][]string
	for _, subs := range p.streamSubs {
		names, ok := subs[typeURL]
		if !ok {
			continue
		}
		if len(names) == 0 {
			return nil
		}
		lists = append(lists, names)
	}
	switch len(lists) {
	case 0:
		return nil
	case 1:
		return lists[0] // as that stream sent it, like a lone stream's
	}
	seen := map[string]bool{}
	for _, names := range lists {
		for _, n := range names {
			seen[n] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func sameNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	if listid.Of(a) == listid.Of(b) {
		return true // one interned list
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Subscriptions returns the names the node asked for, per type.
func (t *Tracker) Subscriptions(nodeID string) map[string][]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.proxies[nodeID]; p != nil {
		return copyMap(p.Subscribed)
	}
	return nil
}

func (t *Tracker) sent(streamKey int64, typeURL, version string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.proxies[t.streams[streamKey]]; p != nil {
		p.Sent[typeURL] = version
	}
}

func (t *Tracker) nack(nodeID, typeURL, version, reason string) {
	t.mu.Lock()
	if p := t.proxies[nodeID]; p != nil {
		p.Nacks[typeURL] = Nack{Version: version, Error: reason, At: time.Now()}
	}
	onNack := t.onNack
	t.mu.Unlock()
	t.nacks.WithLabelValues(typeURL).Inc()
	t.metrics.rejects.WithLabelValues(shortType(typeURL)).Inc()
	if onNack != nil {
		onNack(nodeID, typeURL, version, reason)
	}
}

func (t *Tracker) closed(streamKey int64) {
	// The metrics are updated after the lock is released: a scrape holds
	// a vector's lock while it calls the connected-proxies gauge, which
	// takes t.mu, so deleting a series under t.mu can deadlock both.
	if gone := t.forget(streamKey); gone != nil {
		t.metrics.xds.WithLabelValues(gone.version).Dec()
		t.metrics.proxyBytes.DeleteLabelValues(gone.NodeID)
	}
}

// forget drops a closed stream and returns its proxy when that was the
// proxy's last stream.
func (t *Tracker) forget(streamKey int64) *ProxyStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.openStreams, streamKey)
	id, ok := t.streams[streamKey]
	if !ok {
		return nil
	}
	delete(t.streams, streamKey)
	p := t.proxies[id]
	if p == nil {
		return nil
	}
	if _, had := p.streamSubs[streamKey]; had {
		delete(p.streamSubs, streamKey)
		for typeURL := range p.Subscribed {
			p.Subscribed[typeURL] = p.unionOf(typeURL)
		}
	}
	if p.Streams--; p.Streams > 0 {
		return nil
	}
	delete(t.proxies, id)
	if key, ok := podOf(id); ok {
		if t.pods[key]--; t.pods[key] <= 0 {
			delete(t.pods, key)
		}
	}
	return p
}

// Snapshot returns a copy of every connected proxy's status, by node id.
func (t *Tracker) Snapshot() []ProxyStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]ProxyStatus, 0, len(t.proxies))
	for _, p := range t.proxies {
		c := *p
		c.streamSubs = nil
		c.Acked, c.Sent, c.Nacks, c.Subscribed = copyMap(p.Acked), copyMap(p.Sent), copyMap(p.Nacks), copyMap(p.Subscribed)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NodeID < out[j].NodeID })
	return out
}

// ProxyNode is who a connected proxy is and what it rejected: what the
// mesh reconciler configures it from. It is ProxyStatus without the
// per-type version maps, which the reconciler never reads and which,
// copied for 2000 proxies, were a tenth of an endpoint change's reconcile.
type ProxyNode struct {
	NodeID   string
	Metadata *structpb.Struct
	Locality *corev3.Locality
	// Identity is what the proxy proved on the authenticated port; nil
	// on the plaintext port.
	Identity *identity.Identity
	Nacks    map[string]Nack
}

// Nodes returns the connected proxies as ProxyNodes, by node id; only
// those in only when it is not nil.
func (t *Tracker) Nodes(only map[string]struct{}) []ProxyNode {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]ProxyNode, 0, len(t.proxies))
	for id, p := range t.proxies {
		if _, in := only[id]; only != nil && !in {
			continue
		}
		n := ProxyNode{NodeID: id, Metadata: p.Metadata, Locality: p.Locality, Identity: p.ident}
		if len(p.Nacks) > 0 {
			n.Nacks = copyMap(p.Nacks)
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NodeID < out[j].NodeID })
	return out
}

func copyMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// keptMetadata are the node metadata keys sailplane reads: the
// generator, namespace and labels that internal/mesh configures a proxy
// from (mesh.MetaGenerator, MetaNamespace, MetaLabels), and the version
// syncz reports. The rest of what Istio's agent announces (annotations,
// proxy config, platform metadata: kilobytes a proxy) is not kept.
var keptMetadata = []string{"GENERATOR", "NAMESPACE", "LABELS", "ISTIO_VERSION"}

// keptMetadataOf is the node's metadata of keptMetadata's keys. The
// values are the decoded ones, which hold nothing else of the request.
func keptMetadataOf(node *corev3.Node) *structpb.Struct {
	fields := node.GetMetadata().GetFields()
	if fields == nil {
		return node.GetMetadata()
	}
	out := &structpb.Struct{Fields: make(map[string]*structpb.Value, len(keptMetadata))}
	for _, k := range keptMetadata {
		if v, ok := fields[k]; ok {
			out.Fields[k] = v
		}
	}
	return out
}

// generatorOf reads Istio's GENERATOR node metadata ("grpc" for proxyless
// gRPC clients).
func generatorOf(node *corev3.Node) string {
	return node.GetMetadata().GetFields()["GENERATOR"].GetStringValue()
}

func (t *Tracker) sentVersion(nodeID, typeURL string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.proxies[nodeID]; p != nil {
		return p.Sent[typeURL]
	}
	return ""
}

// connected counts the proxies with an open stream.
func (t *Tracker) connected() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.proxies)
}

// HasPod reports whether a connected proxy's node id names the pod.
func (t *Tracker) HasPod(namespace, name string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pods[podKey(namespace, name)] > 0
}

// podOf is the pods key of the pod a node id names.
func podOf(nodeID string) (string, bool) {
	n, err := names.ParseNodeID(nodeID)
	if err != nil {
		return "", false
	}
	return podKey(n.Namespace, n.Pod), true
}

func podKey(namespace, name string) string { return name + "." + namespace }

// Generator returns the node's GENERATOR metadata ("grpc" for proxyless
// clients), or "" for an unknown node.
func (t *Tracker) Generator(nodeID string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.proxies[nodeID]; p != nil {
		return p.Generator
	}
	return ""
}

// channelOf is the port a connected node is served on.
func (t *Tracker) channelOf(nodeID string) (channel, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.proxies[nodeID]; p != nil {
		return p.channel, true
	}
	return 0, false
}

// Identity returns the verified identity of a node connected on the
// authenticated port; nil for a plaintext or unknown node.
func (t *Tracker) Identity(nodeID string) *identity.Identity {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.proxies[nodeID]; p != nil && p.ident != nil {
		id := *p.ident
		return &id
	}
	return nil
}
