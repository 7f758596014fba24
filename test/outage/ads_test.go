package outage

import (
	"slices"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sailplane/sailplane/test/adsclient"
)

// cdsClient is a wildcard CDS subscription on one ADS stream, ACKing every
// response, as Envoy does.
type cdsClient struct{ *adsclient.Stream }

func dialCDS(t *testing.T, addr, nodeID string) *cdsClient {
	t.Helper()
	c := &cdsClient{adsclient.Dial(t, addr, nodeID)}
	c.send(t, "", "")
	return c
}

func (c *cdsClient) send(t *testing.T, version, nonce string) {
	t.Helper()
	if err := c.Send(resource.ClusterType, nil, version, nonce, nil); err != nil {
		t.Fatal(err)
	}
}

// waitForCluster ACKs responses until one holds the named cluster, and
// returns its version.
func (c *cdsClient) waitForCluster(t *testing.T, name string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp := c.Poll(resource.ClusterType, time.Until(deadline))
		if resp == nil {
			if err := c.Err(); err != nil {
				t.Fatalf("ADS stream ended while waiting for cluster %s: %v", name, err)
			}
			t.Fatalf("no CDS response with cluster %s within %s", name, timeout)
		}
		c.send(t, resp.VersionInfo, resp.Nonce)
		if slices.Contains(clusterNames(t, resp), name) {
			return resp.VersionInfo
		}
	}
}

func clusterNames(t *testing.T, resp *discoveryv3.DiscoveryResponse) []string {
	t.Helper()
	var names []string
	for _, a := range resp.Resources {
		var c clusterv3.Cluster
		if err := a.UnmarshalTo(&c); err != nil {
			t.Fatal(err)
		}
		names = append(names, c.Name)
	}
	return names
}
