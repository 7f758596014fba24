package mesh_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/translate"
)

// TestProxylessTelemetryReportedWhateverTheOrder: two proxyless clients of
// one namespace share their outbound half (no rule matches sources on
// their labels); a Telemetry selecting only kiosk is told it does not
// reach proxyless clients whichever of the two is translated first, since
// the report follows every label, not the shared half's key.
func TestProxylessTelemetryReportedWhateverTheOrder(t *testing.T) {
	telemetry := filepath.Join(t.TempDir(), "telemetry.yaml")
	if err := os.WriteFile(telemetry, []byte(`apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: kiosk-logs, namespace: shop}
spec:
  selector: {matchLabels: {app: kiosk}}
  accessLogging: [{providers: [{name: envoy}]}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	b, _, err := translate.Load([]string{"../translate/testdata/grpc-mtls.base.yaml", telemetry})
	if err != nil {
		t.Fatal(err)
	}
	cart := proxylessNode(t, "cart-0", "10.244.8.1", "cart", false)
	kiosk := proxylessNode(t, "kiosk", "10.244.8.9", "", false)
	ref := model.ObjectRef{Kind: "Telemetry", NamespacedName: types.NamespacedName{Namespace: "shop", Name: "kiosk-logs"}}
	for _, nodes := range [][]mesh.Node{{cart, kiosk}, {kiosk, cart}} {
		res := mesh.Compute(b, nodes)
		if len(res.Resources) != 2 {
			t.Fatalf("configured %d of 2 nodes (waiting: %v)", len(res.Resources), res.Waiting)
		}
		found := false
		for _, p := range res.Model.Status.Problems(ref) {
			found = found || p.Field == "accessLogging" && strings.Contains(p.Reason, "proxyless")
		}
		if !found {
			t.Errorf("nodes %s then %s: %s has no proxyless accessLogging problem: %v", nodes[0].ID, nodes[1].ID, ref, res.Model.Status.Problems(ref))
		}
	}
}
