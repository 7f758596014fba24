package xds

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// shallowCluster is a new cluster whose fields are c's: its messages and
// lists are c's own, shared, not copied. Translated protos are not changed
// once built, so a variant that replaces only some top-level fields (the
// plaintext port's, see WithoutSDS) can share the rest: a deep copy of
// every cluster of every group cost a mesh's worth of clusters per
// publish.
func shallowCluster(c *clusterv3.Cluster) *clusterv3.Cluster {
	nc := &clusterv3.Cluster{}
	dst := nc.ProtoReflect()
	c.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		dst.Set(fd, v)
		return true
	})
	return nc
}
