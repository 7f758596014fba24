package xdsserver

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sailplane/sailplane/internal/configdump"
	"github.com/sailplane/sailplane/internal/xds"
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
		dump, err := configdump.Build(resourcesOf(snap), snap.GetVersion(resource.ClusterType))
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

func resourcesOf(snap *cachev3.Snapshot) *xds.Resources {
	r := &xds.Resources{}
	r.Listeners = typed[*listenerv3.Listener](snap, resource.ListenerType)
	r.Routes = typed[*routev3.RouteConfiguration](snap, resource.RouteType)
	r.Clusters = typed[*clusterv3.Cluster](snap, resource.ClusterType)
	r.Endpoints = typed[*endpointv3.ClusterLoadAssignment](snap, resource.EndpointType)
	r.Secrets = typed[*tlsv3.Secret](snap, resource.SecretType)
	return r
}

func typed[T types.Resource](snap *cachev3.Snapshot, typeURL string) []T {
	var out []T
	for _, name := range sortedKeys(snap.GetResources(typeURL)) {
		if v, ok := snap.GetResources(typeURL)[name].(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
