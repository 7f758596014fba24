package xdsserver

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sailplane/sailplane/internal/configdump"
)

// Debug paths on the monitoring port, read by `sailctl proxy-status` and
// `sailctl proxy-config`.
const (
	ProxyStatusPath = "/debug/proxy-status"
	ConfigDumpPath  = "/debug/config_dump"
)

// ProxyStatusHandler serves every connected proxy's status as JSON.
func (s *Server) ProxyStatusHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.tracker.Snapshot())
	})
}

// ConfigDumpHandler serves the config dump of one proxy, named by
// ?proxy=<node id> or ?proxy=<pod>.<namespace>.
func (s *Server) ConfigDumpHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nodeID, ok := s.findNode(r.URL.Query().Get("proxy"))
		if !ok {
			http.Error(w, "no connected proxy matches ?proxy="+r.URL.Query().Get("proxy"), http.StatusNotFound)
			return
		}
		snap, ok := s.Snapshot(nodeID)
		if !ok {
			http.Error(w, "no configuration computed yet for "+nodeID, http.StatusNotFound)
			return
		}
		dump, err := configdump.Build(snap.Resources(), snap.Version(resource.ClusterType))
		if err == nil {
			var out []byte
			if out, err = configdump.JSON(dump); err == nil {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(out)
				return
			}
		}
		http.Error(w, err.Error(), http.StatusInternalServerError)
	})
}

// findNode accepts a full node id or "pod.namespace".
func (s *Server) findNode(q string) (string, bool) {
	for _, p := range s.tracker.Snapshot() {
		if p.NodeID == q || strings.Contains(p.NodeID, "~"+q+"~") {
			return p.NodeID, true
		}
	}
	return "", false
}
