package xds

import (
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
)

func TestCombineMergesSortedHalvesInNameOrder(t *testing.T) {
	cl := func(names ...string) []*clusterv3.Cluster {
		var out []*clusterv3.Cluster
		for _, n := range names {
			out = append(out, &clusterv3.Cluster{Name: n})
		}
		return out
	}
	out := &Resources{Clusters: cl("BlackHoleCluster", "outbound|80||a", "outbound|80||z")}
	in := &Resources{Clusters: cl("inbound|8080||", "inbound|9090||")}
	got := Combine(out, in).Clusters
	want := []string{"BlackHoleCluster", "inbound|8080||", "inbound|9090||", "outbound|80||a", "outbound|80||z"}
	if len(got) != len(want) {
		t.Fatalf("%d clusters, want %d", len(got), len(want))
	}
	for i, c := range got {
		if c.Name != want[i] {
			t.Errorf("cluster %d is %s, want %s", i, c.Name, want[i])
		}
	}
	if out.Clusters[1].Name != "outbound|80||a" || len(in.Clusters) != 2 {
		t.Error("the halves are shared by other groups and must not be modified")
	}
}
