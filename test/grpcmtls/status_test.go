package grpcmtls

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

// serverListener is the Listener the pod's gRPC server asks for.
func serverListener(p pod) string {
	return names.GRPCServerListenerPrefix + net.JoinHostPort(p.ip, strconv.Itoa(serverPort))
}

// proxyStatus reads /debug/proxy-status, by node id, as sailctl does.
func proxyStatus() (map[string]xdsserver.ProxyStatus, error) {
	req, err := http.NewRequest(http.MethodGet, "http://"+monitoring+xdsserver.ProxyStatusPath, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+world.debugToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", xdsserver.ProxyStatusPath, resp.Status)
	}
	var list []xdsserver.ProxyStatus
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, err
	}
	out := map[string]xdsserver.ProxyStatus{}
	for _, s := range list {
		out[s.NodeID] = s
	}
	return out, nil
}
