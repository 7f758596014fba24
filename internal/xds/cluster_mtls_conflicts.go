package xds

import (
	"fmt"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xds/policy"
)

// reportPlaintextToStrict reports, on the DestinationRule, a cluster whose
// tls.mode DISABLE sends plaintext to a workload port a PeerAuthentication
// makes STRICT: every such request would be refused by the server's proxy.
// The cluster stays as the rule asks (it still reaches the endpoints that
// accept plaintext); one problem names the first such pod.
func (g *generator) reportPlaintextToStrict(clusterName string, dr *model.DestinationRule, tp *networkingv1.TrafficPolicy, paths *policy.Paths, eps []model.Endpoint) {
	if dr == nil || tp == nil || tp.TLS == nil || tp.TLS.Mode != clientTLSDisable {
		return
	}
	for _, e := range eps {
		if !e.Meshed || e.Pod == nil {
			continue
		}
		w := g.m.Pods[*e.Pod]
		if w == nil || g.m.MTLSModeFor(w.Ref.Namespace, w.Labels, e.Port) != model.MTLSStrict {
			continue
		}
		layer := "trafficPolicy" // where the tls section came from
		if paths != nil && paths.TLS != "" {
			layer = paths.TLS
		}
		g.problem(model.ObjectRef{Kind: "DestinationRule", NamespacedName: dr.Ref}, layer+".tls.mode",
			fmt.Sprintf("DISABLE sends plaintext from cluster %s to pod %s, whose port %d requires mutual TLS (PeerAuthentication STRICT): those requests will fail", clusterName, w.Ref, e.Port))
		return
	}
}

// clientTLSDisable is DestinationRule tls.mode DISABLE.
const clientTLSDisable = "DISABLE"
