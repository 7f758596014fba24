package console

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sailplane/sailplane/internal/xdsserver"
)

// BenchmarkView2000Proxies is one poll's work at 2000 proxies: build the
// view and encode it (the ETag is a hash of these bytes).
func BenchmarkView2000Proxies(b *testing.B) {
	m := modelOf(b, "testdata/reviews.in.yaml")
	versions := map[string]string{resource.ClusterType: "0123456789abcdef", resource.ListenerType: "0123456789abcdef",
		resource.EndpointType: "0123456789abcdef", resource.RouteType: "0123456789abcdef"}
	in := make([]ProxyInput, 2000)
	for i := range in {
		in[i] = ProxyInput{Status: xdsserver.ProxyStatus{
			NodeID: fmt.Sprintf("sidecar~10.1.%d.%d~pod-%d.ns-%d~ns-%d.svc.cluster.local", i/250, i%250, i, i%50, i%50),
			Sent:   versions, Acked: versions,
		}, Resources: 300, Bytes: 200000}
	}
	b.ReportAllocs()
	size := 0
	for b.Loop() {
		body, err := json.Marshal(Build(Input{Model: m, Proxies: in}))
		if err != nil {
			b.Fatal(err)
		}
		size = len(body)
	}
	b.ReportMetric(float64(size), "bytes/view")
}
