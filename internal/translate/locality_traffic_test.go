package translate

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xds/simulate"
)

// TestLocalityTraffic follows requests through the locality golden cases
// with Envoy's load-balancing rules (simulate.Traffic): which endpoints get
// traffic while all are healthy and as outlier detection ejects them.
func TestLocalityTraffic(t *testing.T) {
	const (
		reviewsGeo    = "outbound|9080||reviews.geo.svc.cluster.local"
		detailsGeo    = "outbound|9080||details.geo.svc.cluster.local"
		reviewsSpread = "outbound|9080||reviews.spread.svc.cluster.local"
		ratingsZones  = "outbound|9080||ratings.zones.svc.cluster.local"
	)
	for _, tc := range []struct {
		name, file, proxy, cluster string
		ejected                    []string
		want                       string
	}{
		{"same subzone first", "locality-failover", "client.geo", reviewsGeo, nil, "10.10.1.1=100"},
		{"then the same zone", "locality-failover", "client.geo", reviewsGeo, []string{"10.10.1.1"}, "10.10.1.2=100"},
		{"then the same region", "locality-failover", "client.geo", reviewsGeo, []string{"10.10.1.1", "10.10.1.2"}, "10.10.1.3=100"},
		{"then the failover region, not us-west", "locality-failover", "client.geo", reviewsGeo,
			[]string{"10.10.1.1", "10.10.1.2", "10.10.1.3"}, "10.10.1.5=50 10.10.1.6=50"},
		{"a half-healthy priority keeps 70% (overprovisioning 1.4)", "locality-failover", "client.geo", reviewsGeo,
			[]string{"10.10.1.1", "10.10.1.2", "10.10.1.3", "10.10.1.5"}, "10.10.1.4=30 10.10.1.6=70"},
		{"no outlier detection: everyone, evenly", "locality-failover", "client.geo", detailsGeo, nil, "10.10.3.1=50 10.10.3.2=50"},
		{"zones only: own zone", "locality-zones", "client.zones", ratingsZones, nil, "10.20.1.1=100"},
		{"zones only: other zones when it is ejected", "locality-zones", "client.zones", ratingsZones, []string{"10.20.1.1"}, "10.20.1.2=50 10.20.1.3=50"},
		{"distribute 80/20 (rounded weights 80:7:14)", "locality-distribute", "client.spread", reviewsSpread, nil,
			"10.30.1.1=79.2 10.30.1.3=6.9 10.30.1.4=6.9 10.30.1.5=6.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := translateFile(t, tc.file, tc.proxy)
			if got := traffic(t, res, tc.cluster, tc.ejected); got != tc.want {
				t.Errorf("traffic %s, want %s", got, tc.want)
			}
		})
	}
	// Envoy reads locality weights only with locality_weighted_lb_config:
	// without it the same load assignment spreads by host.
	t.Run("distribute needs locality_weighted_lb_config", func(t *testing.T) {
		res := translateFile(t, "locality-distribute", "client.spread")
		stripped := *res
		stripped.Clusters = nil
		for _, c := range res.Clusters {
			if c.Name == reviewsSpread {
				c = proto.Clone(c).(*clusterv3.Cluster)
				c.CommonLbConfig.LocalityConfigSpecifier = nil
			}
			stripped.Clusters = append(stripped.Clusters, c)
		}
		if got, want := traffic(t, &stripped, reviewsSpread, nil), "10.30.1.1=25 10.30.1.3=25 10.30.1.4=25 10.30.1.5=25"; got != want {
			t.Errorf("without the config: %s, want %s", got, want)
		}
	})
}

func translateFile(t *testing.T, name, proxy string) *xds.Resources {
	t.Helper()
	b, _, err := Load([]string{"testdata/" + name + ".in.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(b, ParseProxy(proxy))
	if err != nil {
		t.Fatal(err)
	}
	return r.Resources
}

// traffic renders simulate.Traffic as "addr=percent ..." (one decimal).
func traffic(t *testing.T, res *xds.Resources, cluster string, ejected []string) string {
	t.Helper()
	ej := map[string]bool{}
	for _, a := range ejected {
		ej[a] = true
	}
	shares, err := simulate.Traffic(res, cluster, ej)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for a, s := range shares {
		out = append(out, fmt.Sprintf("%s=%s", a, strings.TrimSuffix(fmt.Sprintf("%.1f", math.Round(s*1000)/10), ".0")))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
