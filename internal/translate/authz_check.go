package translate

import (
	"fmt"
	"sort"

	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds/simulate"
)

// AuthzQuery is a request from one pod to another, as `sailctl x authz
// check` asks about it.
type AuthzQuery struct {
	From, To types.NamespacedName
	// Port is the destination's workload port; 0 takes its only one.
	Port uint32
	// TCP asks about a connection rather than an HTTP request.
	TCP bool
	// MTLS says the client calls through a sidecar, which originates
	// mutual TLS (auto mTLS) with the client's certificate; plaintext
	// otherwise.
	MTLS               bool
	Method, Path, Host string
	Headers            map[string]string
	// Claims are the payload of a JWT jwt_authn verified, if any.
	Claims map[string]any
}

// AuthzVerdict is what the destination's proxy does with the request.
type AuthzVerdict struct {
	Allowed bool
	// Policy and Rule name the AuthorizationPolicy rule that decided
	// (Rule -1 with no Policy: nothing matched, or no policy applies).
	Policy types.NamespacedName
	Rule   int
	// Action is DENY (a DENY or CUSTOM policy matched), ALLOW (an ALLOW
	// policy matched, or none did where some apply), or "" (no policy).
	Action string
	Chain  string
	// MTLS says the client's sidecar sent it over mutual TLS (its
	// identity is then known); plaintext otherwise.
	MTLS    bool
	Refused string
	Audited []string
}

// CheckAuthz runs the query through the RBAC filters of the configuration
// the destination's proxy gets, so the answer is what Envoy would do.
func CheckAuthz(b *bundle.Bundle, q AuthzQuery) (AuthzVerdict, error) {
	res, err := Run(b, q.To)
	if err != nil {
		return AuthzVerdict{}, err
	}
	src := res.Model.Pods[q.From]
	if src == nil {
		return AuthzVerdict{}, fmt.Errorf("--from %s.%s: no such pod in the input (pods: %s)", q.From.Name, q.From.Namespace, podList(res.Model))
	}
	port, err := destinationPort(res, q.Port)
	if err != nil {
		return AuthzVerdict{}, err
	}
	req := simulate.AuthzRequest{SourceIP: src.IP, DestinationIP: res.Proxy.IP, Port: port,
		Method: q.Method, Path: q.Path, Host: q.Host, Headers: q.Headers}
	conn := simulate.Conn{Port: port, HTTP: "http/1.1"}
	if q.TCP {
		conn.HTTP = ""
	}
	if q.MTLS {
		// The client's sidecar offers Istio's ALPN and its certificate.
		conn = simulate.Conn{Port: port, TLS: true, ALPN: []string{"istio"}, ClientCert: true}
		req.Principal = identity.Identity{TrustDomain: defaults.TrustDomain, Namespace: src.Ref.Namespace, ServiceAccount: src.ServiceAccount}.SPIFFE()
	}
	if q.Claims != nil {
		payload, err := structpb.NewStruct(q.Claims)
		if err != nil {
			return AuthzVerdict{}, fmt.Errorf("JWT claims: %w", err)
		}
		req.Metadata = map[string]*structpb.Struct{names.JWTAuthnFilter: {Fields: map[string]*structpb.Value{names.JWTPayloadKey: structpb.NewStructValue(payload)}}}
	}
	var got simulate.AuthzResult
	if res.Proxy.Type == names.Router {
		got, err = simulate.GatewayAuthz(res.Resources, port, false, "", req)
	} else {
		got, err = simulate.InboundAuthz(res.Resources, conn, req)
	}
	if err != nil {
		return AuthzVerdict{}, err
	}
	return verdict(got, req.Principal != ""), nil
}

func verdict(got simulate.AuthzResult, mtls bool) AuthzVerdict {
	v := AuthzVerdict{Allowed: got.Allowed && got.Refused == "", Action: got.Action, Chain: got.Chain, MTLS: mtls, Refused: got.Refused, Rule: -1, Audited: got.Logged}
	if ns, name, rule, ok := names.ParseAuthzPolicy(got.Policy); ok {
		v.Policy, v.Rule = types.NamespacedName{Namespace: ns, Name: name}, rule
	}
	return v
}

// destinationPort is the asked port, or the only port the destination's
// inbound listener (or gateway) serves.
func destinationPort(res *Result, port uint32) (uint32, error) {
	if port != 0 {
		return port, nil
	}
	seen := map[uint32]bool{}
	for _, l := range res.Resources.Listeners {
		if l.GetName() == names.VirtualInbound {
			for _, fc := range l.GetFilterChains() {
				if p := fc.GetFilterChainMatch().GetDestinationPort().GetValue(); p != 0 {
					seen[p] = true
				}
			}
		} else if res.Proxy.Type == names.Router {
			seen[l.GetAddress().GetSocketAddress().GetPortValue()] = true
		}
	}
	ports := make([]uint32, 0, len(seen))
	for p := range seen {
		ports = append(ports, p)
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
	if len(ports) != 1 {
		return 0, fmt.Errorf("--to %s.%s: name the port (POD.NAMESPACE:PORT); it serves %v", res.Proxy.Workload.Ref.Name, res.Proxy.Workload.Ref.Namespace, ports)
	}
	return ports[0], nil
}

// String says the verdict as sailctl prints it.
func (v AuthzVerdict) String() string {
	switch {
	case v.Refused != "":
		return "DENIED before authorization: " + v.Refused
	case v.Allowed && v.Action == "":
		return "ALLOWED: no AuthorizationPolicy applies to the destination"
	case v.Allowed:
		return fmt.Sprintf("ALLOWED by AuthorizationPolicy %s rules[%d]", v.Policy, v.Rule)
	case v.Action == "DENY":
		return fmt.Sprintf("DENIED by AuthorizationPolicy %s rules[%d] (DENY)", v.Policy, v.Rule)
	}
	return "DENIED: ALLOW policies apply to the destination and none of their rules matches"
}
