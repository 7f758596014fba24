package console

import (
	"sort"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sailplane/sailplane/internal/names"
)

// Proxy is one connected proxy on the Proxies page.
type Proxy struct {
	NodeID string `json:"nodeId"`
	// Name is "pod.namespace" (the form proxy-config takes).
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	// State is the worst of the types': NACKED, STALE, else SYNCED.
	State     string      `json:"state"`
	Types     []TypeState `json:"types"`
	Resources int         `json:"resources"`
	Bytes     int         `json:"bytes"`
	Port      string      `json:"port,omitempty"`
	Identity  string      `json:"identity,omitempty"`
}

// TypeState is one xDS type's versions and sync state for a proxy.
type TypeState struct {
	Type  string `json:"type"`
	State string `json:"state"`
	Sent  string `json:"sent"`
	Acked string `json:"acked"`
	Nack  string `json:"nack,omitempty"`
}

// Sync states, as sailctl proxy-status prints them.
const (
	Synced  = "SYNCED"
	Stale   = "STALE"
	Nacked  = "NACKED"
	NotSent = "NOT SENT"
)

// proxyTypes are the types the page shows, in istioctl's column order.
var proxyTypes = []struct{ name, url string }{
	{"CDS", resource.ClusterType}, {"LDS", resource.ListenerType},
	{"EDS", resource.EndpointType}, {"RDS", resource.RouteType},
	{"SDS", resource.SecretType},
}

func buildProxies(in []ProxyInput) []Proxy {
	out := make([]Proxy, 0, len(in))
	for _, pi := range in {
		p := pi.Status
		v := Proxy{NodeID: p.NodeID, Name: p.NodeID, Kind: "sidecar", State: Synced,
			Resources: pi.Resources, Bytes: pi.Bytes, Port: p.Port, Identity: p.Identity, Types: []TypeState{}}
		if n, err := names.ParseNodeID(p.NodeID); err == nil {
			v.Name, v.Kind, v.Namespace = n.Pod+"."+n.Namespace, string(n.Type), n.Namespace
		}
		if p.Generator == "grpc" {
			v.Kind = "proxyless-grpc"
		}
		for _, t := range proxyTypes {
			ts := TypeState{Type: t.name, Sent: p.Sent[t.url], Acked: p.Acked[t.url]}
			_, sent := p.Sent[t.url]
			switch nack, nacked := p.Nacks[t.url]; {
			case nacked:
				ts.State, ts.Nack = Nacked, nack.Error
			case !sent:
				ts.State = NotSent
			case ts.Acked == ts.Sent:
				ts.State = Synced
			default:
				ts.State = Stale
			}
			if !sent && ts.State == NotSent && t.url == resource.SecretType {
				continue // most proxies are sent no secrets: not a column worth a row
			}
			v.Types = append(v.Types, ts)
			v.State = worse(v.State, ts.State)
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NodeID < out[j].NodeID })
	return out
}

// worse orders states NACKED > STALE > SYNCED; NOT SENT (a type the proxy
// never asked for, like RDS for a TCP-only client) does not count.
func worse(a, b string) string {
	rank := map[string]int{Synced: 0, NotSent: 0, Stale: 1, Nacked: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}
