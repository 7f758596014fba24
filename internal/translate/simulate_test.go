package translate

import (
	"path/filepath"
	"testing"

	"github.com/sailplane/sailplane/internal/xds/simulate"
)

// TestBookinfoRouting sends requests through the configuration generated
// for bookinfo's productpage sidecar with each of bookinfo's routing
// samples applied, and checks where they land, as Istio documents for the
// samples.
func TestBookinfoRouting(t *testing.T) {
	const (
		reviewsV1 = "outbound|9080|v1|reviews.default.svc.cluster.local"
		reviewsV2 = "outbound|9080|v2|reviews.default.svc.cluster.local"
		reviewsV3 = "outbound|9080|v3|reviews.default.svc.cluster.local"
		ratingsV1 = "outbound|9080|v1|ratings.default.svc.cluster.local"
		details   = "outbound|9080||details.default.svc.cluster.local"
	)
	jason := map[string]string{"end-user": "jason"}
	for _, tc := range []struct {
		sample    string
		authority string
		headers   map[string]string
		want      map[string]uint32
		direct    uint32
	}{
		{"virtual-service-all-v1.yaml", "reviews:9080", nil, map[string]uint32{reviewsV1: 0}, 0},
		// The table ignores the Host header's port, as Istio's sidecars do.
		{"virtual-service-all-v1.yaml", "reviews.default:8443", nil, map[string]uint32{reviewsV1: 0}, 0},
		{"virtual-service-all-v1.yaml", "ratings.default.svc.cluster.local", nil, map[string]uint32{ratingsV1: 0}, 0},
		{"virtual-service-reviews-test-v2.yaml", "reviews", jason, map[string]uint32{reviewsV2: 0}, 0},
		{"virtual-service-reviews-test-v2.yaml", "reviews", nil, map[string]uint32{reviewsV1: 0}, 0},
		{"virtual-service-reviews-jason-v2-v3.yaml", "reviews.default", nil, map[string]uint32{reviewsV3: 0}, 0},
		{"virtual-service-reviews-50-v3.yaml", "reviews", nil, map[string]uint32{reviewsV1: 50, reviewsV3: 50}, 0},
		{"virtual-service-reviews-80-20.yaml", "reviews", nil, map[string]uint32{reviewsV1: 80, reviewsV2: 20}, 0},
		{"virtual-service-reviews-90-10.yaml", "reviews", nil, map[string]uint32{reviewsV1: 90, reviewsV2: 10}, 0},
		{"virtual-service-reviews-v2-v3.yaml", "reviews", nil, map[string]uint32{reviewsV2: 50, reviewsV3: 50}, 0},
		{"virtual-service-reviews-v3.yaml", "10.96.0.1:9080", nil, nil, 0}, // not reviews' VIP: passthrough
		{"virtual-service-ratings-test-abort.yaml", "ratings", jason, map[string]uint32{ratingsV1: 0}, 0},
		{"virtual-service-details-v2.yaml", "details", nil, map[string]uint32{"outbound|9080|v2|details.default.svc.cluster.local": 0}, 0},
		{"destination-rule-all.yaml", "details:9080", nil, map[string]uint32{details: 0}, 0},
	} {
		t.Run(tc.sample+"/"+tc.authority, func(t *testing.T) {
			dir := filepath.Join(corpusDir(t), "bookinfo")
			files := []string{filepath.Join(dir, "platform-bookinfo.yaml"), filepath.Join(dir, "destination-rule-all.yaml")}
			if tc.sample != "destination-rule-all.yaml" {
				files = append(files, filepath.Join(dir, tc.sample))
			}
			b, _, err := Load(files)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(b, ParseProxy("productpage-v1.default"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := simulate.HTTP(res.Resources, simulate.Request{Authority: tc.authority, Port: 9080, Method: "GET", Path: "/", Headers: tc.headers})
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if want == nil {
				want = map[string]uint32{"PassthroughCluster": 0}
			}
			if !sameWeights(got.Clusters, want) {
				t.Errorf("request to %s %v went to %v (route %q in %s), want %v", tc.authority, tc.headers, got.Clusters, got.Route, got.VirtualHost, want)
			}
		})
	}
}

func sameWeights(a, b map[string]uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestMatchKindsRouting drives the match-kinds golden case: which rule a
// request from the frontend proxy hits.
func TestMatchKindsRouting(t *testing.T) {
	b, _, err := Load([]string{"testdata/mesh.base.yaml", "testdata/match-kinds.in.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(b, ParseProxy("frontend-v1.default"))
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]string{"x-present": "1", "x-empty": "", "x-prefix": "beta-2", "x-regex": "v7"}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range all {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	for _, tc := range []struct {
		method, path string
		headers      map[string]string
		wantRoute    string
	}{
		{"GET", "/ratings/0", nil, "exact"},
		{"GET", "/ratings/0/x", nil, "rest"},
		{"GET", "/RATINGS/12", nil, "regex-ci"},
		{"POST", "/x?debug=1&lang=en", all, "headers"},
		{"GET", "/x?debug=1&lang=en", all, "rest"},                                       // method
		{"POST", "/x?debug=1&lang=fr", all, "rest"},                                      // query regex
		{"POST", "/x?debug=1&lang=de", with(map[string]string{"x-skip": "yes"}), "rest"}, // withoutHeaders
		{"POST", "/x?debug=1&lang=de", with(map[string]string{"x-regex": "w7"}), "rest"}, // header regex
		{"GET", "/mine", nil, "for-frontend"},
		{"GET", "/theirs", nil, "rest"},    // sourceLabels: reviews only
		{"GET", "/wrongport", nil, "rest"}, // port 8080 only
		{"GET", "/edge", nil, "rest"},      // gateway only
	} {
		got, err := simulate.HTTP(res.Resources, simulate.Request{Authority: "ratings:9080", Port: 9080, Method: tc.method, Path: tc.path, Headers: tc.headers})
		if err != nil {
			t.Errorf("%s %s: %v", tc.method, tc.path, err)
			continue
		}
		if got.Route != tc.wantRoute {
			t.Errorf("%s %s %v: route %q, want %q", tc.method, tc.path, tc.headers, got.Route, tc.wantRoute)
		}
	}
}
