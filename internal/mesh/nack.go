package mesh

import (
	"fmt"
	"regexp"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// Rejection is a version a proxy NACKed, with its error text.
type Rejection struct {
	NodeID  string
	TypeURL string
	Version string
	Error   string
}

var clusterInError = regexp.MustCompile(`(?:outbound|inbound)\|[0-9]+\|[^|\s]*\|[^\s:'"\]]+`)

// AddRejections records each proxy rejection on the objects that produced
// the rejected resource. Envoy's and gRPC's error texts name the resource;
// a cluster name leads to the host, and so to the DestinationRules and
// VirtualServices for it. A rejection that names nothing sailplane can tie
// to an object is returned for logging.
func AddRejections(m *model.Model, rejections []Rejection) []Rejection {
	var unmatched []Rejection
	for _, rj := range rejections {
		refs := objectsFor(m, clusterInError.FindAllString(rj.Error, -1))
		if len(refs) == 0 {
			unmatched = append(unmatched, rj)
			continue
		}
		for _, ref := range refs {
			m.Status.Add(ref, "", "%s", fmt.Sprintf("proxy %s rejected %s version %s: %s", rj.NodeID, rj.TypeURL, rj.Version, rj.Error))
		}
	}
	return unmatched
}

func objectsFor(m *model.Model, clusters []string) []model.ObjectRef {
	seen := map[model.ObjectRef]bool{}
	var out []model.ObjectRef
	add := func(r model.ObjectRef) {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	for _, c := range clusters {
		key, ok := names.ParseCluster(c)
		if !ok {
			continue
		}
		for _, dr := range m.DestinationRules {
			if model.HostMatches(dr.Host, key.Host) {
				add(model.ObjectRef{Kind: "DestinationRule", NamespacedName: dr.Ref})
			}
		}
		for _, vs := range m.VirtualServices {
			for _, h := range vs.Hosts {
				if model.HostMatches(h, key.Host) {
					add(model.ObjectRef{Kind: "VirtualService", NamespacedName: vs.Ref})
					break
				}
			}
		}
	}
	return out
}
