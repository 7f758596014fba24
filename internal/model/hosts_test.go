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

func TestPortProtocol(t *testing.T) {
	grpc := "grpc"
	empty := ""
	for _, tc := range []struct {
		name string
		app  *string
		l4   string
		want Protocol
	}{
		{"http", nil, "TCP", HTTP},
		{"http-web", nil, "TCP", HTTP},
		{"http2", nil, "TCP", HTTP2},
		{"grpc-api", nil, "TCP", GRPC},
		{"grpc-web", nil, "TCP", GRPCWeb},
		{"tcp-db", nil, "TCP", TCP},
		{"mysql", nil, "TCP", MySQL},
		{"web", nil, "TCP", TCP}, // no sniffing: unknown names are TCP
		{"httpx", nil, "TCP", TCP},
		{"web", &grpc, "TCP", GRPC}, // appProtocol wins
		{"http", &empty, "TCP", HTTP},
		{"dns", nil, "UDP", UDP},
	} {
		if got := PortProtocol(tc.name, tc.app, tc.l4); got != tc.want {
			t.Errorf("PortProtocol(%q) = %s, want %s", tc.name, got, tc.want)
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
