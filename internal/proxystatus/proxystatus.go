// Package proxystatus reads the control plane's debug endpoints and
// renders them the way `istioctl proxy-status` and `istioctl proxy-config`
// do, for sailctl.
package proxystatus

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

var httpClient = &http.Client{Timeout: 10 * time.Second}

// Client reads the debug endpoints of the control plane at Addr (its
// monitoring port), presenting Token as a bearer token; the control plane
// refuses callers without one (see Token for where sailctl gets it).
type Client struct {
	Addr  string
	Token string
}

func (c Client) get(path string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, "http://"+c.Addr+path, nil)
	if err != nil {
		return nil, err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reaching the control plane's monitoring port at %s: %w", c.Addr, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s: %s", path, resp.Status, strings.TrimSpace(string(b)))
	}
	return b, nil
}

// Fetch reads every connected proxy's status.
func (c Client) Fetch() ([]xdsserver.ProxyStatus, error) {
	b, err := c.get(xdsserver.ProxyStatusPath)
	if err != nil {
		return nil, err
	}
	var out []xdsserver.ProxyStatus
	return out, json.Unmarshal(b, &out)
}

// ConfigDump reads one proxy's config dump (Envoy's admin JSON).
func (c Client) ConfigDump(proxy string) ([]byte, error) {
	return c.get(xdsserver.ConfigDumpPath + "?proxy=" + url.QueryEscape(proxy))
}

// typeColumns are the xDS types proxy-status reports, in istioctl's order.
var typeColumns = []struct{ name, url string }{
	{"CDS", resource.ClusterType}, {"LDS", resource.ListenerType},
	{"EDS", resource.EndpointType}, {"RDS", resource.RouteType},
}

// WriteStatus prints one line per proxy: for each type whether it is
// SYNCED (acknowledged what was sent), STALE (sent, not yet acknowledged),
// NACKED or NOT SENT.
func WriteStatus(w io.Writer, proxies []xdsserver.ProxyStatus) error {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tCDS\tLDS\tEDS\tRDS\tVERSION")
	sort.Slice(proxies, func(i, j int) bool { return proxies[i].NodeID < proxies[j].NodeID })
	for _, p := range proxies {
		name, kind := p.NodeID, "sidecar"
		if n, err := names.ParseNodeID(p.NodeID); err == nil {
			name, kind = n.Pod+"."+n.Namespace, string(n.Type)
		}
		if p.Generator == "grpc" {
			kind = "proxyless-grpc"
		}
		cols := []string{name, kind}
		for _, t := range typeColumns {
			cols = append(cols, syncState(p, t.url))
		}
		cols = append(cols, p.Sent[resource.ClusterType])
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	return tw.Flush()
}

func syncState(p xdsserver.ProxyStatus, typeURL string) string {
	if n, ok := p.Nacks[typeURL]; ok {
		return "NACKED (" + n.Version + ")"
	}
	sent, ok := p.Sent[typeURL]
	switch {
	case !ok:
		return "NOT SENT"
	case p.Acked[typeURL] == sent:
		return "SYNCED"
	}
	return "STALE"
}
