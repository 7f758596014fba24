package xds

import "google.golang.org/protobuf/proto"

// Equal reports whether two translations carry the same resources, list
// by list in order (translation sorts them), by proto.Equal. Problems are
// not compared: the fast paths and Compute report them through status.
func (r *Resources) Equal(o *Resources) bool {
	if r == nil || o == nil {
		return r == o
	}
	return equalList(r.Listeners, o.Listeners) && equalList(r.Routes, o.Routes) && equalList(r.Clusters, o.Clusters) &&
		equalList(r.Endpoints, o.Endpoints) && equalList(r.Secrets, o.Secrets)
}

func equalList[T proto.Message](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !proto.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
