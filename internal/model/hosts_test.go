package model

import "testing"

func TestResolveHost(t *testing.T) {
	for _, tc := range []struct{ host, ns, want string }{
		{"reviews", "default", "reviews.default.svc.cluster.local"},
		{"reviews.prod", "default", "reviews.prod.svc.cluster.local"},
		{"reviews.prod.svc", "default", "reviews.prod.svc.cluster.local"},
		{"reviews.prod.svc.cluster.local", "default", "reviews.prod.svc.cluster.local"},
		{"example.com", "default", "example.com"},
		{"www.example.com", "default", "www.example.com"},
		{"*.example.com", "default", "*.example.com"},
		{"*", "default", "*"},
	} {
		if got := ResolveHost(tc.host, tc.ns); got != tc.want {
			t.Errorf("ResolveHost(%q, %q) = %q, want %q", tc.host, tc.ns, got, tc.want)
		}
	}
}

func TestHostMatches(t *testing.T) {
	for _, tc := range []struct {
		rule, host string
		want       bool
	}{
		{"*", "a.b", true},
		{"*.example.com", "www.example.com", true},
		{"*.example.com", "example.com", false},
		{"reviews.default.svc.cluster.local", "reviews.default.svc.cluster.local", true},
		{"reviews.default.svc.cluster.local", "ratings.default.svc.cluster.local", false},
	} {
		if got := HostMatches(tc.rule, tc.host); got != tc.want {
			t.Errorf("HostMatches(%q, %q) = %v", tc.rule, tc.host, got)
		}
	}
}

func TestExportTo(t *testing.T) {
	v := ParseExportTo([]string{".", "prod"}, "default")
	for ns, want := range map[string]bool{"default": true, "prod": true, "other": false} {
		if v.VisibleTo(ns) != want {
			t.Errorf("exportTo [., prod] from default: visible to %s = %v", ns, !want)
		}
	}
	if !ParseExportTo(nil, "default").VisibleTo("any") || !ParseExportTo([]string{"*"}, "x").VisibleTo("any") {
		t.Error("empty exportTo and * must be visible everywhere")
	}
}
