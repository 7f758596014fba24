package console

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPageAndViewWithETag(t *testing.T) {
	c := &Console{proxies: func() []ProxyInput { return nil }}
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
	// A new model changes the view: the old ETag no longer matches.
	c.SetModel(nil)
	if changed := get(etag); changed.Code != http.StatusOK || changed.Header().Get("ETag") == etag {
		t.Errorf("after a change: %d etag %q, want 200 with a new ETag", changed.Code, changed.Header().Get("ETag"))
	}
}
