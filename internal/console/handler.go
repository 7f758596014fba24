package console

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

// Paths on the monitoring port. The page itself (HTML, CSS, script) holds
// no mesh data and is served to anyone; every answer under APIPath is
// data and goes behind the debug authentication (see Handlers).
const (
	PagePath = "/ui/"
	APIPath  = "/ui/api/"
	ViewPath = APIPath + "view"
	// ImpactPath takes a POST of YAML and answers what applying it would
	// change (nothing is applied).
	ImpactPath = APIPath + "impact"
)

//go:embed assets
var assets embed.FS

// viewReuse is how long an encoded view answers every poll while the
// model is unchanged: however many tabs poll, the control plane builds at
// most one view per period (10 to 30 ms at 2000 proxies on a shared
// two-core machine; see
// BenchmarkView2000Proxies), and a proxy's new ACK shows within it.
const viewReuse = time.Second

// Console keeps the latest model and answers the page.
type Console struct {
	mu    sync.Mutex
	model *model.Model
	mesh  Mesh
	// previewing holds a token while an impact preview runs: one full
	// translation at a time, however many callers ask.
	previewing chan struct{}
	// proxies reads the ADS server's proxies now.
	proxies func() []ProxyInput
	now     func() time.Time

	// The last encoded view, its ETag, when and from which model.
	body      []byte
	etag      string
	builtAt   time.Time
	builtFrom *model.Model
}

// New returns a console reading proxies from the ADS server.
func New(s *xdsserver.Server) *Console {
	return &Console{proxies: func() []ProxyInput { return ProxiesOf(s) }, now: time.Now, previewing: make(chan struct{}, 1)}
}

// SetModel records the model of the latest reconcile.
func (c *Console) SetModel(m *model.Model) {
	c.mu.Lock()
	c.model = m
	c.mu.Unlock()
}

// SetMesh records the inputs and result of the latest full reconcile: its
// model for the view, all of it for the impact preview.
func (c *Console) SetMesh(b *bundle.Bundle, nodes []mesh.Node, res *mesh.Result) {
	c.mu.Lock()
	c.model = res.Model
	c.mesh = Mesh{Bundle: b, Nodes: nodes, Result: res}
	c.mu.Unlock()
}

// ProxiesOf reads every connected proxy of s with its snapshot's size;
// proxies of one group share a snapshot, which is measured once.
func ProxiesOf(s *xdsserver.Server) []ProxyInput {
	type size struct{ resources, bytes int }
	sizes := map[*xdsserver.Snapshot]size{}
	status := s.Tracker().Snapshot()
	out := make([]ProxyInput, 0, len(status))
	for _, p := range status {
		in := ProxyInput{Status: p}
		if snap, ok := s.Snapshot(p.NodeID); ok {
			sz, seen := sizes[snap]
			if !seen {
				sz.resources, sz.bytes = snap.Size()
				sizes[snap] = sz
			}
			in.Resources, in.Bytes = sz.resources, sz.bytes
		}
		out = append(out, in)
	}
	return out
}

// Handlers are the console's paths: the page (open) and the data
// (APIPath, for the caller to wrap in the debug authentication).
func (c *Console) Handlers() (page, api http.Handler) {
	static, _ := fs.Sub(assets, "assets")
	files := http.StripPrefix(PagePath, http.FileServer(http.FS(static)))
	page = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The page reads its token from the URL fragment and keeps it out
		// of every request but its own API calls; no referrer leaks it.
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
	mux := http.NewServeMux()
	mux.HandleFunc(ViewPath, c.serveView)
	mux.HandleFunc(ImpactPath, c.serveImpact)
	return page, mux
}

// serveView answers the view as JSON with a strong ETag of its bytes; a
// poll that sends the ETag back gets 304 and no body while nothing changed.
func (c *Console) serveView(w http.ResponseWriter, r *http.Request) {
	body, etag, err := c.view()
	if err != nil {
		http.Error(w, "building the console view: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// view returns the encoded view and its ETag, rebuilt when the model
// changed or the last one is older than viewReuse.
func (c *Console) view() ([]byte, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.body != nil && c.builtFrom == c.model && now.Sub(c.builtAt) < viewReuse {
		return c.body, c.etag, nil
	}
	body, err := json.Marshal(Build(Input{Model: c.model, Proxies: c.proxies()}))
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(body)
	c.body, c.etag, c.builtAt, c.builtFrom = body, `"`+hex.EncodeToString(sum[:16])+`"`, now, c.model
	return c.body, c.etag, nil
}

// maxChangeBytes bounds a previewed change.
const maxChangeBytes = 4 << 20

// serveImpact previews a change: POST of YAML (or JSON) manifests.
func (c *Console) serveImpact(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST the change as YAML", http.StatusMethodNotAllowed)
		return
	}
	select {
	case c.previewing <- struct{}{}:
		defer func() { <-c.previewing }()
	default:
		w.Header().Set("Retry-After", "2")
		http.Error(w, "another impact preview is running; try again shortly", http.StatusTooManyRequests)
		return
	}
	c.mu.Lock()
	cur := c.mesh
	c.mu.Unlock()
	cur.Subscribed = map[string]map[string][]string{}
	for _, p := range c.proxies() {
		cur.Subscribed[p.Status.NodeID] = p.Status.Subscribed
	}
	if cur.Result == nil {
		http.Error(w, "no reconcile has finished yet: nothing to compare with", http.StatusServiceUnavailable)
		return
	}
	imp, err := PreviewChange(cur, "change", http.MaxBytesReader(w, r.Body, maxChangeBytes))
	if err != nil {
		http.Error(w, "reading the change: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(imp)
}
