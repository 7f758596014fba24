package xdsserver

import (
	"crypto/sha256"
	"encoding/hex"
	"iter"
	"sort"
	"sync"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sailplane/sailplane/internal/xds"
)

// The types a snapshot holds, in the order Envoy depends on them.
const (
	typeListener = iota
	typeRoute
	typeCluster
	typeEndpoint
	typeSecret
	numTypes
)

var typeURLs = [numTypes]string{resource.ListenerType, resource.RouteType, resource.ClusterType, resource.EndpointType, resource.SecretType}

func typeIndex(url string) (int, bool) {
	for i, u := range typeURLs {
		if u == url {
			return i, true
		}
	}
	return 0, false
}

// setID names a set: its type and its content version. The builder interns
// sets by it and the cache's registry finds them by it.
type setID struct {
	t       int
	version string
}

// item is one resource as proxies receive it, marshalled once. Items are
// interned by content, so every group, half and publish that produces the
// same bytes shares one item: its bytes, its Any and its Delta envelope.
// A stream's response only points at them; nothing is marshalled per
// stream.
type item struct {
	name string
	// version is the hex SHA-256 of the deterministic encoding, the value
	// go-control-plane would compute for Delta.
	version string
	fp      [sha256.Size]byte
	msg     resourceMsg
	any     *anypb.Any
	delta   *discoveryv3.Resource
	// parts are a route configuration's virtual hosts' bytes inside
	// any.Value, in msg's order (nil unless encoded host by host).
	parts [][]byte
}

// typeSet is one type's resources for a group, sorted by name. Sets are
// interned by content: the groups of a namespace share their route tables
// and load assignments, and a publish that leaves a set unchanged hands the
// cache the very same set, which costs it no work.
//
// The resources are held as runs, consecutive pieces of the sorted list
// that sets share (builder_runs.go): 1317 groups' cluster sets differ in a
// few inbound clusters and each held its own list of 1639 items, two
// generations of them while a reconcile built the next.
type typeSet struct {
	version string
	runs    [][]*item
	n       int

	indexOnce sync.Once
	byName    map[string]*item
	sizeOnce  sync.Once
	size      int
}

// all yields the set's items in name order.
func (s *typeSet) all() iter.Seq[*item] {
	return func(yield func(*item) bool) {
		for _, run := range s.runs {
			for _, it := range run {
				if !yield(it) {
					return
				}
			}
		}
	}
}

// lookup finds a resource by name. The index is built on first use: only
// sets that are asked for by name (EDS, RDS) ever need one.
func (s *typeSet) lookup(name string) *item {
	s.indexOnce.Do(func() {
		s.byName = make(map[string]*item, s.n)
		for it := range s.all() {
			s.byName[it.name] = it
		}
	})
	return s.byName[name]
}

// Snapshot is one group's configuration: a set per type.
type Snapshot struct {
	sets [numTypes]*typeSet
	// stamp times the pushes of this snapshot (see Stamp).
	stamp pushStamp
}

// Version is the content version of one type ("" for a type the snapshot
// does not hold).
func (s *Snapshot) Version(typeURL string) string {
	if i, ok := typeIndex(typeURL); ok && s.sets[i] != nil {
		return s.sets[i].version
	}
	return ""
}

// Encoded is the named resource of a type as proxies receive it: the
// bytes inside the Any of every response that carries it (nil if the
// snapshot has no such resource).
func (s *Snapshot) Encoded(typeURL, name string) []byte {
	set := s.set(typeURL)
	if set == nil {
		return nil
	}
	if it := set.lookup(name); it != nil {
		return it.any.Value
	}
	return nil
}

func (s *Snapshot) set(typeURL string) *typeSet {
	if i, ok := typeIndex(typeURL); ok {
		return s.sets[i]
	}
	return nil
}

// Resources returns the snapshot's protos (for the config dump).
func (s *Snapshot) Resources() *xds.Resources {
	r := &xds.Resources{}
	r.Listeners = msgs[*listenerv3.Listener](s.sets[typeListener])
	r.Routes = msgs[*routev3.RouteConfiguration](s.sets[typeRoute])
	r.Clusters = msgs[*clusterv3.Cluster](s.sets[typeCluster])
	r.Endpoints = msgs[*endpointv3.ClusterLoadAssignment](s.sets[typeEndpoint])
	r.Secrets = msgs[*tlsv3.Secret](s.sets[typeSecret])
	return r
}

func msgs[T resourceMsg](s *typeSet) []T {
	if s == nil {
		return nil
	}
	out := make([]T, 0, s.n)
	for it := range s.all() {
		if m, ok := it.msg.(T); ok {
			out = append(out, m)
		}
	}
	return out
}

// sortItems puts items in name order unless they already are (translation
// sorts them); diffs and responses walk a set in that order.
func sortItems(items []*item) {
	if !sort.SliceIsSorted(items, func(i, j int) bool { return items[i].name < items[j].name }) {
		sort.SliceStable(items, func(i, j int) bool { return items[i].name < items[j].name })
	}
}

func hexVersion(fp [sha256.Size]byte) string { return hex.EncodeToString(fp[:]) }

// resourceMsg is one xDS resource proto.
type resourceMsg = proto.Message

// resourceName is the name a resource is asked for by: a load
// assignment's cluster name, every other type's name.
func resourceName(r resourceMsg) string {
	switch v := r.(type) {
	case *endpointv3.ClusterLoadAssignment:
		return v.GetClusterName()
	case interface{ GetName() string }:
		return v.GetName()
	}
	return ""
}
