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
	return &Console{proxies: func() []ProxyInput { return ProxiesOf(s) }, now: time.Now}
}

// SetModel records the model of the latest reconcile.
func (c *Console) SetModel(m *model.Model) {
	c.mu.Lock()
	c.model = m
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
