package translate

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xds/simulate"
)

// authzCall is a simulated request (or TCP connection) into a workload's
// virtualInbound.
type authzCall struct {
	proxy              string // pod.namespace of the destination
	port               uint32
	from               string // "sa.ns" of a mesh client (mutual TLS), "" for plaintext
	src                string // the peer's address
	tcp                bool   // a TCP connection, not an HTTP request
	method, path, host string
	headers            map[string]string
	jwt                map[string]any // the verified token's payload
}

func (c authzCall) conn() simulate.Conn {
	conn := simulate.Conn{Port: c.port}
	switch {
	case c.from != "" && c.tcp:
		conn.TLS, conn.ALPN, conn.ClientCert = true, []string{"istio"}, true
	case c.from != "":
		conn.TLS, conn.ALPN, conn.ClientCert = true, []string{"istio-http/1.1"}, true
	case !c.tcp:
		conn.HTTP = "http/1.1"
	}
	return conn
}

func (c authzCall) request(t *testing.T) simulate.AuthzRequest {
	t.Helper()
	req := simulate.AuthzRequest{SourceIP: c.src, Method: c.method, Path: c.path, Host: c.host, Headers: c.headers, Port: c.port}
	if req.SourceIP == "" {
		req.SourceIP = "10.0.0.7"
	}
	if c.from != "" {
		sa, ns, _ := strings.Cut(c.from, ".")
		req.Principal = "spiffe://cluster.local/ns/" + ns + "/sa/" + sa
	}
	if c.jwt != nil {
		payload, err := structpb.NewStruct(c.jwt)
		if err != nil {
			t.Fatal(err)
		}
		req.Metadata = map[string]*structpb.Struct{names.JWTAuthnFilter: {Fields: map[string]*structpb.Value{
			names.JWTPayloadKey: structpb.NewStructValue(payload),
		}}}
	}
	return req
}

// authzResources translates mesh.base.yaml plus the policies for a proxy
// and checks the result as Envoy would (every RBAC filter validated).
func authzResources(t *testing.T, policies, proxy string) *xds.Resources {
	t.Helper()
	b, _, err := Load([]string{filepath.Join("testdata", "mesh.base.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Decode("policies.yaml", strings.NewReader(policies)); err != nil {
		t.Fatal(err)
	}
	res, err := Run(b, ParseProxy(proxy))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range xds.CheckConsistency(res.Resources) {
		t.Errorf("inconsistent config: %v", e)
	}
	return res.Resources
}

// ap is an AuthorizationPolicy document.
func ap(ns, name, spec string) string {
	return fmt.Sprintf("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: %s, namespace: %s}\nspec: %s\n---\n", name, ns, spec)
}

// authzRow is a request and what Istio's documented semantics say of it:
// allowed or not, and the RBAC policy (AuthorizationPolicy rule) deciding.
type authzRow struct {
	name     string
	policies string
	call     authzCall
	allowed  bool
	policy   string
}

func rule(ns, name string, i int) string { return names.AuthzPolicy(ns, name, i) }

func runAuthzRows(t *testing.T, rows []authzRow) {
	t.Helper()
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			c := r.call
			if c.proxy == "" {
				c.proxy = "reviews-v1.default"
			}
			if c.port == 0 {
				c.port = 9080
			}
			if c.method == "" && !c.tcp {
				c.method = "GET"
			}
			if c.path == "" && !c.tcp {
				c.path = "/"
			}
			res := authzResources(t, r.policies, c.proxy)
			got, err := simulate.InboundAuthz(res, c.conn(), c.request(t))
			if err != nil {
				t.Fatal(err)
			}
			if got.Refused != "" {
				t.Fatalf("connection refused before authorization: %s", got.Refused)
			}
			if got.HTTP == c.tcp {
				t.Fatalf("landed on chain %s (HTTP %v), want HTTP %v", got.Chain, got.HTTP, !c.tcp)
			}
			if got.Allowed != r.allowed || got.Policy != r.policy {
				t.Errorf("chain %s: allowed %v by %q (%s), want allowed %v by %q", got.Chain, got.Allowed, got.Policy, got.Action, r.allowed, r.policy)
			}
		})
	}
}
