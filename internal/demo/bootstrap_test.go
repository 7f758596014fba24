package demo

import (
	"encoding/json"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/encoding/protojson"
)

// The node must carry a locality (grpc-js-xds refuses a bootstrap without
// one) and be a valid Envoy Node in proto JSON, which is how gRPC reads it.
func TestBootstrapNodeHasLocality(t *testing.T) {
	var doc struct {
		XDSServers []struct {
			ServerURI string `json:"server_uri"`
		} `json:"xds_servers"`
		Node json.RawMessage `json:"node"`
	}
	if err := json.Unmarshal([]byte(BootstrapFor("127.0.0.1:15010", "sailctl", "demo")), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.XDSServers) != 1 || doc.XDSServers[0].ServerURI != "127.0.0.1:15010" {
		t.Errorf("xds_servers %+v", doc.XDSServers)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(doc.Node, &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["locality"]; !ok {
		t.Fatalf("node has no locality: %s", doc.Node)
	}
	var node corev3.Node
	if err := protojson.Unmarshal(doc.Node, &node); err != nil {
		t.Fatalf("node is not a valid Envoy Node: %v", err)
	}
	if node.Locality == nil {
		t.Error("locality did not parse into the Node")
	}
	if node.Id != "sidecar~127.0.0.1~sailctl.demo~demo.svc.cluster.local" || node.Metadata.Fields["GENERATOR"].GetStringValue() != "grpc" {
		t.Errorf("node %v", &node)
	}
}

func TestBootstrapCarriesLocalityAndLabels(t *testing.T) {
	b := Bootstrap{XDSAddress: "x:1", NodeID: "id", Namespace: "ns", Labels: map[string]string{"app": "c"}, Locality: Locality{Region: "r", Zone: "z", SubZone: "s"}}
	var node corev3.Node
	var doc struct {
		Node json.RawMessage `json:"node"`
	}
	if err := json.Unmarshal([]byte(b.JSON()), &doc); err != nil {
		t.Fatal(err)
	}
	if err := protojson.Unmarshal(doc.Node, &node); err != nil {
		t.Fatal(err)
	}
	if l := node.Locality; l.Region != "r" || l.Zone != "z" || l.SubZone != "s" {
		t.Errorf("locality %v", l)
	}
	if node.Metadata.Fields["LABELS"].GetStructValue().Fields["app"].GetStringValue() != "c" {
		t.Errorf("labels %v", node.Metadata)
	}
}
