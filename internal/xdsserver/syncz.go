package xdsserver

import (
	"encoding/json"
	"net/http"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sailplane/sailplane/internal/names"
)

// SynczPath is istiod's sync-status endpoint, which Kiali and `istioctl
// proxy-status` read.
const SynczPath = "/debug/syncz"

// syncStatus is one proxy in istiod's /debug/syncz format: the proxy as
// "<pod>.<namespace>" and, per type, the version last sent and the
// version last acknowledged.
type syncStatus struct {
	ClusterID     string `json:"cluster_id,omitempty"`
	ProxyID       string `json:"proxy,omitempty"`
	ProxyType     string `json:"proxy_type,omitempty"`
	ProxyVersion  string `json:"proxy_version,omitempty"`
	IstioVersion  string `json:"istio_version,omitempty"`
	ClusterSent   string `json:"cluster_sent,omitempty"`
	ClusterAcked  string `json:"cluster_acked,omitempty"`
	ListenerSent  string `json:"listener_sent,omitempty"`
	ListenerAcked string `json:"listener_acked,omitempty"`
	RouteSent     string `json:"route_sent,omitempty"`
	RouteAcked    string `json:"route_acked,omitempty"`
	EndpointSent  string `json:"endpoint_sent,omitempty"`
	EndpointAcked string `json:"endpoint_acked,omitempty"`
	SecretSent    string `json:"secret_sent,omitempty"`
	SecretAcked   string `json:"secret_acked,omitempty"`
}

// syncStatuses is every connected proxy in syncz form, in node id order.
// A NACKed type shows the rejected version as sent and the one still held
// as acknowledged, as istiod's does.
func syncStatuses(proxies []ProxyStatus) []syncStatus {
	out := make([]syncStatus, 0, len(proxies))
	for _, p := range proxies {
		st := syncStatus{ClusterID: "Kubernetes", ProxyID: p.NodeID, ProxyVersion: p.version}
		if n, err := names.ParseNodeID(p.NodeID); err == nil {
			st.ProxyID, st.ProxyType = n.Pod+"."+n.Namespace, string(n.Type)
		}
		st.ClusterSent, st.ClusterAcked = p.Sent[resource.ClusterType], p.Acked[resource.ClusterType]
		st.ListenerSent, st.ListenerAcked = p.Sent[resource.ListenerType], p.Acked[resource.ListenerType]
		st.RouteSent, st.RouteAcked = p.Sent[resource.RouteType], p.Acked[resource.RouteType]
		st.EndpointSent, st.EndpointAcked = p.Sent[resource.EndpointType], p.Acked[resource.EndpointType]
		st.SecretSent, st.SecretAcked = p.Sent[resource.SecretType], p.Acked[resource.SecretType]
		if p.Metadata != nil {
			st.IstioVersion = p.Metadata.GetFields()["ISTIO_VERSION"].GetStringValue()
		}
		out = append(out, st)
	}
	return out
}

// SynczHandler serves /debug/syncz (behind the monitoring port's debug
// authentication, like sailplane's own proxy-status).
func (s *Server) SynczHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(syncStatuses(s.tracker.Snapshot()))
	})
}
