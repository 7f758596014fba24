package xds

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sailplane/sailplane/internal/proxystatus"
	"github.com/sailplane/sailplane/test/envtestutil"
)

// TestProxyStatusAndConfig reads the debug endpoints the way sailctl
// proxy-status and proxy-config do, for a proxy that has ACKed everything.
func TestProxyStatusAndConfig(t *testing.T) {
	createMesh(t, "pstatus")
	r := startReplica(t, false)
	dialSotW(t, r.xds, productpageNode("pstatus")).subscribe(t)
	var out bytes.Buffer
	envtestutil.WaitFor(t, 10*time.Second, "the proxy to show as synced", func() bool {
		proxies, err := proxystatus.Client{Addr: r.monitoring, Token: debugToken}.Fetch()
		if err != nil {
			t.Fatal(err)
		}
		out.Reset()
		_ = proxystatus.WriteStatus(&out, proxies)
		return strings.Count(out.String(), "SYNCED") == 4
	})
	if !strings.Contains(out.String(), "productpage-v1.pstatus") {
		t.Errorf("proxy-status:\n%s", out.String())
	}
	raw, err := proxystatus.Client{Addr: r.monitoring, Token: debugToken}.ConfigDump("productpage-v1.pstatus")
	if err != nil {
		t.Fatal(err)
	}
	for kind, want := range map[string]string{
		"cluster":  "outbound|9080||reviews.pstatus.svc.cluster.local",
		"listener": "virtualInbound",
		"route":    "reviews.pstatus.svc.cluster.local:9080",
		"endpoint": "10.1.0.2:9080",
	} {
		var table bytes.Buffer
		if err := proxystatus.WriteConfig(&table, raw, kind); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(table.String(), want) {
			t.Errorf("proxy-config %s lacks %s:\n%s", kind, want, table.String())
		}
	}
}
