package demo

import (
	"encoding/json"

	"github.com/sailplane/sailplane/internal/names"
)

// BootstrapEnv is where grpc-go looks for its xDS bootstrap.
const BootstrapEnv = "GRPC_XDS_BOOTSTRAP_CONFIG"

// Bootstrap is a proxyless gRPC client's xDS bootstrap, in the shape every
// gRPC implementation reads (gRFC A27): one plaintext ADS server and a
// node in Istio's proxyless shape.
type Bootstrap struct {
	XDSAddress string
	NodeID     string
	Namespace  string
	Labels     map[string]string
	// Locality is where the client runs; empty fields are an unknown
	// locality. It is always written: grpc-js-xds refuses a bootstrap
	// whose node has no locality.
	Locality Locality
}

// Locality is a node's region, zone and sub-zone.
type Locality struct {
	Region  string `json:"region"`
	Zone    string `json:"zone"`
	SubZone string `json:"sub_zone"`
}

type bootstrapJSON struct {
	XDSServers []xdsServerJSON `json:"xds_servers"`
	Node       nodeJSON        `json:"node"`
}

type xdsServerJSON struct {
	ServerURI      string              `json:"server_uri"`
	ChannelCreds   []map[string]string `json:"channel_creds"`
	ServerFeatures []string            `json:"server_features"`
}

type nodeJSON struct {
	ID       string         `json:"id"`
	Locality Locality       `json:"locality"`
	Metadata map[string]any `json:"metadata"`
}

// JSON is the bootstrap document.
func (b Bootstrap) JSON() string {
	md := map[string]any{"GENERATOR": "grpc", "NAMESPACE": b.Namespace}
	if len(b.Labels) > 0 {
		md["LABELS"] = b.Labels
	}
	out, err := json.Marshal(bootstrapJSON{
		XDSServers: []xdsServerJSON{{
			ServerURI:      b.XDSAddress,
			ChannelCreds:   []map[string]string{{"type": "insecure"}},
			ServerFeatures: []string{"xds_v3"},
		}},
		Node: nodeJSON{ID: b.NodeID, Locality: b.Locality, Metadata: md},
	})
	if err != nil {
		panic(err) // strings and string maps always marshal
	}
	return string(out)
}

// BootstrapFor is the bootstrap of a proxyless client named pod.namespace,
// on this host, that talks to the control plane at xdsAddr.
func BootstrapFor(xdsAddr, pod, namespace string) string {
	node := names.NodeID(names.Node{Type: names.Sidecar, IP: "127.0.0.1", Pod: pod, Namespace: namespace, Domain: "cluster.local"})
	return Bootstrap{XDSAddress: xdsAddr, NodeID: node, Namespace: namespace}.JSON()
}
