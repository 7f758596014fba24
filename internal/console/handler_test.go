package console

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sailplane/sailplane/internal/xdsserver"
)

func TestPageAndViewWithETag(t *testing.T) {
	now := time.Unix(1000, 0)
	var proxies []ProxyInput
	c := &Console{proxies: func() []ProxyInput { return proxies }, now: func() time.Time { return now }, previewing: make(chan struct{}, 1)}
	c.SetModel(modelOf(t, "testdata/reviews.in.yaml"))
	page, api := c.Handlers()

	rec := httptest.NewRecorder()
	page.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, PagePath, nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "<title>sailplane console</title>") {
		t.Fatalf("page: %d %.80q", rec.Code, rec.Body.String())
	}
	if rec.Header().Get("Referrer-Policy") != "no-referrer" || rec.Header().Get("Content-Security-Policy") == "" {
		t.Errorf("page headers lack the referrer and content policies: %v", rec.Header())
	}

	get := func(etag string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, ViewPath, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		return rec
	}
	first := get("")
	etag := first.Header().Get("ETag")
	if first.Code != http.StatusOK || etag == "" || !strings.Contains(first.Body.String(), `"reviews.bookinfo.svc.cluster.local"`) {
		t.Fatalf("view: %d etag %q %.80q", first.Code, etag, first.Body.String())
	}
	if again := get(etag); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("same ETag: %d with %d bytes, want 304 and no body", again.Code, again.Body.Len())
	}
	// A proxy's change shows once the reused view is old enough.
	proxies = []ProxyInput{{Status: xdsserver.ProxyStatus{NodeID: "sidecar~10.1.0.9~web-1.bookinfo~bookinfo.svc.cluster.local"}}}
	if same := get(etag); same.Code != http.StatusNotModified {
		t.Errorf("within the reuse period: %d, want the reused view's 304", same.Code)
	}
	now = now.Add(viewReuse)
	newer := get(etag)
	if newer.Code != http.StatusOK || !strings.Contains(newer.Body.String(), "web-1.bookinfo") {
		t.Fatalf("after the reuse period: %d %.80q, want 200 with the new proxy", newer.Code, newer.Body.String())
	}
	etag = newer.Header().Get("ETag")
	// A new model changes the view at once: the old ETag no longer matches.
	c.SetModel(nil)
	if changed := get(etag); changed.Code != http.StatusOK || changed.Header().Get("ETag") == etag {
		t.Errorf("after a change: %d etag %q, want 200 with a new ETag", changed.Code, changed.Header().Get("ETag"))
	}
}

func TestImpactEndpoint(t *testing.T) {
	c := &Console{proxies: func() []ProxyInput { return nil }, now: time.Now, previewing: make(chan struct{}, 1)}
	_, api := c.Handlers()
	post := func(body string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, ImpactPath, strings.NewReader(body)))
		return rec
	}
	if rec := post(split); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("before any reconcile: %d, want 503", rec.Code)
	}
	cur := currentMesh(t)
	c.SetMesh(cur.Bundle, cur.Nodes, cur.Result)
	if rec := post(split); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"name":"9080"`) {
		t.Errorf("preview: %d %.200s", rec.Code, rec.Body.String())
	}
	if rec := post("kind: [unclosed"); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "reading the change") {
		t.Errorf("bad YAML: %d %s", rec.Code, rec.Body.String())
	}
	c.previewing <- struct{}{} // one running
	if rec := post(split); rec.Code != http.StatusTooManyRequests {
		t.Errorf("while another runs: %d, want 429", rec.Code)
	}
	<-c.previewing
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, ImpactPath, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d, want 405", rec.Code)
	}
}
