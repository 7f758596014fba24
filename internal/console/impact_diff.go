package console

import (
	"bytes"
	"reflect"
	"sort"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/xds"
)

// differ compares proxies' resources. The comparison costs what differs,
// not what the mesh holds:
//   - proxies of a group share their *xds.Resources, and groups share the
//     lists of their outbound half (Combine returns a half's list as it
//     is), so each pair of lists of a type is compared once (lists);
//   - a translation that kept a resource (the endpoint-only path keeps
//     listeners, routes, clusters and unchanged load assignments by
//     pointer) is equal without being encoded;
//   - only a pair of different pointers is encoded, each proto once
//     however many lists hold it (enc).
type differ struct {
	enc   map[proto.Message][]byte
	size  map[proto.Message]int
	lists map[listKey]typeDiff
	done  map[diffKey]diffResult
}

func newDiffer() *differ {
	return &differ{enc: map[proto.Message][]byte{}, size: map[proto.Message]int{}, lists: map[listKey]typeDiff{}, done: map[diffKey]diffResult{}}
}

type diffKey struct {
	before, after *xds.Resources
	subscribed    string
}

type diffResult struct {
	changes   []ResourceChange
	typeBytes map[string]int
}

// listKey identifies a pair of lists of one type by their backing arrays
// and lengths, with the names a proxyless client subscribed to.
type listKey struct {
	typ                string
	old, cur           uintptr
	oldLen, curLen     int
	subscribedToSorted string
}

// typeDiff is one type's changes and, when there are any, the encoded size
// of the whole type after the change.
type typeDiff struct {
	changes []ResourceChange
	total   int
}

func (d *differ) diff(before, after *xds.Resources, subscribed map[string][]string) ([]ResourceChange, map[string]int) {
	key := diffKey{before, after, ""}
	if len(subscribed) > 0 {
		key.subscribed = subscriptionKey(subscribed)
	}
	if r, ok := d.done[key]; ok {
		return r.changes, r.typeBytes
	}
	if before == nil {
		before = &xds.Resources{}
	}
	if after == nil {
		after = &xds.Resources{}
	}
	var out []ResourceChange
	typeBytes := map[string]int{}
	add := func(name string, td typeDiff) {
		if len(td.changes) > 0 {
			out = append(out, td.changes...)
			typeBytes[name] = td.total
		}
	}
	add("CDS", diffList(d, "CDS", before.Clusters, after.Clusters, (*clusterv3.Cluster).GetName, subscribed[resource.ClusterType]))
	add("EDS", diffList(d, "EDS", before.Endpoints, after.Endpoints, (*endpointv3.ClusterLoadAssignment).GetClusterName, subscribed[resource.EndpointType]))
	add("LDS", diffList(d, "LDS", before.Listeners, after.Listeners, (*listenerv3.Listener).GetName, subscribed[resource.ListenerType]))
	add("RDS", diffList(d, "RDS", before.Routes, after.Routes, (*routev3.RouteConfiguration).GetName, subscribed[resource.RouteType]))
	add("SDS", diffList(d, "SDS", before.Secrets, after.Secrets, (*tlsv3.Secret).GetName, subscribed[resource.SecretType]))
	// Types come in name order and each type's changes in name order.
	d.done[key] = diffResult{out, typeBytes}
	return out, typeBytes
}

// subscriptionKey is a canonical string of a proxyless client's
// subscriptions.
func subscriptionKey(subscribed map[string][]string) string {
	var b strings.Builder
	types := make([]string, 0, len(subscribed))
	for t := range subscribed {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		b.WriteString(t + "=" + strings.Join(sortedCopy(subscribed[t]), ",") + ";")
	}
	return b.String()
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// diffList compares one type's lists name by name. Translations emit
// every type sorted by name, so the lists are walked side by side with no
// per-proxy maps (a list that is not sorted is sorted in a copy first).
// With subscribed names, only those are compared: a proxyless client is
// sent nothing else.
func diffList[T proto.Message](d *differ, typ string, old, cur []T, name func(T) string, subscribed []string) typeDiff {
	key := listKey{typ: typ, old: sliceAddr(old), cur: sliceAddr(cur), oldLen: len(old), curLen: len(cur)}
	if len(subscribed) > 0 {
		key.subscribedToSorted = strings.Join(sortedCopy(subscribed), ",")
	}
	if r, ok := d.lists[key]; ok {
		return r
	}
	if key.old == key.cur && key.oldLen == key.curLen {
		return typeDiff{} // the same list: kept by a narrow translation
	}
	var keep map[string]bool
	if len(subscribed) > 0 {
		keep = map[string]bool{}
		for _, n := range subscribed {
			keep[n] = true
		}
	}
	old, cur = sortedByName(old, name), sortedByName(cur, name)
	var changes []ResourceChange
	i, j := 0, 0
	for i < len(old) || j < len(cur) {
		var o, c T
		var on, cn string
		if i < len(old) {
			o, on = old[i], name(old[i])
		}
		if j < len(cur) {
			c, cn = cur[j], name(cur[j])
		}
		switch {
		case j >= len(cur) || (i < len(old) && on < cn):
			if keep == nil || keep[on] {
				changes = append(changes, ResourceChange{Type: typ, Name: on, Change: Removed})
			}
			i++
		case i >= len(old) || cn < on:
			if keep == nil || keep[cn] {
				changes = append(changes, ResourceChange{Type: typ, Name: cn, Change: Added, Bytes: d.sizeOf(c)})
			}
			j++
		default:
			if (keep == nil || keep[cn]) && proto.Message(o) != proto.Message(c) && !bytes.Equal(d.encode(o), d.encode(c)) {
				changes = append(changes, ResourceChange{Type: typ, Name: cn, Change: Changed, Bytes: d.sizeOf(c)})
			}
			i, j = i+1, j+1
		}
	}
	r := typeDiff{changes: changes}
	if len(changes) > 0 {
		for _, c := range cur {
			if keep == nil || keep[name(c)] {
				r.total += d.sizeOf(c)
			}
		}
	}
	d.lists[key] = r
	return r
}

// sliceAddr is the address of a list's backing array: lists shared between
// groups have the same one.
func sliceAddr[T any](s []T) uintptr {
	if len(s) == 0 {
		return 0
	}
	return reflect.ValueOf(s).Pointer()
}

func sortedByName[T any](list []T, name func(T) string) []T {
	for k := 1; k < len(list); k++ {
		if name(list[k]) < name(list[k-1]) {
			out := append([]T(nil), list...)
			sort.SliceStable(out, func(a, b int) bool { return name(out[a]) < name(out[b]) })
			return out
		}
	}
	return list
}

// encode is a proto's deterministic encoding, once per proto.
func (d *differ) encode(msg proto.Message) []byte {
	b, ok := d.enc[msg]
	if !ok {
		var err error
		if b, err = (proto.MarshalOptions{Deterministic: true}).Marshal(msg); err != nil {
			b = []byte("unencodable: " + err.Error())
		}
		d.enc[msg] = b
		d.size[msg] = len(b)
	}
	return b
}

// sizeOf is a proto's encoded size, without encoding it when it has not
// been.
func (d *differ) sizeOf(msg proto.Message) int {
	n, ok := d.size[msg]
	if !ok {
		n = proto.Size(msg)
		d.size[msg] = n
	}
	return n
}
