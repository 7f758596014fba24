package xds

import (
	"fmt"
	"sort"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds/policy"
)

// jwksClusters adds, for every jwksUri host and port of the rules that
// apply to the proxy's workload, the DNS cluster Envoy fetches the key set
// through (remote_jwks.http_uri names it), when a listener's jwt_authn
// does use it (a workload without HTTP ports has none, and Envoy would
// resolve the host for nothing). A dedicated cluster, not the mesh's
// outbound one: the issuer is usually outside the mesh, and its keys must
// come over the issuer's own TLS, checked against the system roots and
// the host name.
func (g *generator) jwksClusters() {
	byName := map[string]*model.JWKSURI{}
	for _, r := range g.jwtRules() {
		if u := r.JWKSURI; u != nil {
			byName[names.JWKSCluster(u.Host, u.Port)] = u
		}
	}
	if len(byName) == 0 {
		return
	}
	used := jwksClustersUsed(g.out.Listeners)
	clusterNames := make([]string, 0, len(byName))
	for n := range byName {
		if used[n] {
			clusterNames = append(clusterNames, n)
		}
	}
	sort.Strings(clusterNames)
	for _, n := range clusterNames {
		g.addCluster(jwksCluster(n, byName[n]))
	}
}

func jwksCluster(name string, u *model.JWKSURI) *clusterv3.Cluster {
	c := &clusterv3.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_LOGICAL_DNS},
		DnsLookupFamily:      clusterv3.Cluster_V4_ONLY,
		ConnectTimeout:       durationpb.New(defaults.ConnectTimeout),
		LoadAssignment: &endpointv3.ClusterLoadAssignment{
			ClusterName: name,
			Endpoints: []*endpointv3.LocalityLbEndpoints{{LbEndpoints: []*endpointv3.LbEndpoint{{
				HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: socketAddress(u.Host, u.Port)}},
			}}}},
		},
	}
	if u.TLS {
		c.TransportSocket = &corev3.TransportSocket{
			Name:       names.TLSTransportSocket,
			ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(jwksTLS(u.Host))},
		}
	}
	return c
}

// jwksTLS verifies the issuer's server against the proxy's system roots
// and its host name, and sends the host as SNI.
func jwksTLS(host string) *tlsv3.UpstreamTlsContext {
	return &tlsv3.UpstreamTlsContext{
		Sni: host,
		CommonTlsContext: &tlsv3.CommonTlsContext{
			ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
				TrustedCa:                 &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: defaults.SystemCACertificates}},
				MatchTypedSubjectAltNames: policy.SANMatchers([]string{host}),
			}},
		},
	}
}

// jwksRefs reports every remote_jwks of the listener's jwt_authn filters
// whose fetch cluster is not among the clusters: Envoy would fail every
// fetch and so refuse every token of that issuer.
func jwksRefs(listener string, h *hcmv3.HttpConnectionManager, clusters map[string]*clusterv3.Cluster) []error {
	var errs []error
	uses, err := jwksUses(h)
	if err != nil {
		return []error{fmt.Errorf("listener %s: %s: %v", listener, names.JWTAuthnFilter, err)}
	}
	for _, u := range uses {
		if clusters[u.cluster] == nil {
			errs = append(errs, fmt.Errorf("listener %s: jwt provider %s: jwks cluster %q missing", listener, u.provider, u.cluster))
		}
	}
	return errs
}

// jwksClustersUsed names the fetch clusters the listeners' jwt_authn
// filters refer to.
func jwksClustersUsed(ls []*listenerv3.Listener) map[string]bool {
	used := map[string]bool{}
	for _, l := range ls {
		for _, fc := range chainsOf(l) {
			for _, f := range fc.GetFilters() {
				if f.GetName() != names.HTTPConnectionManagerFilter {
					continue
				}
				var h hcmv3.HttpConnectionManager
				if f.GetTypedConfig().UnmarshalTo(&h) != nil {
					continue
				}
				uses, _ := jwksUses(&h)
				for _, u := range uses {
					used[u.cluster] = true
				}
			}
		}
	}
	return used
}

type jwksUse struct{ provider, cluster string }

// jwksUses lists, by provider name, the fetch clusters of the connection
// manager's jwt_authn filter.
func jwksUses(h *hcmv3.HttpConnectionManager) ([]jwksUse, error) {
	var out []jwksUse
	for _, f := range h.GetHttpFilters() {
		if f.GetName() != names.JWTAuthnFilter {
			continue
		}
		var cfg jwtv3.JwtAuthentication
		if err := f.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
			return nil, err
		}
		providers := make([]string, 0, len(cfg.Providers))
		for n := range cfg.Providers {
			providers = append(providers, n)
		}
		sort.Strings(providers)
		for _, n := range providers {
			if c := cfg.Providers[n].GetRemoteJwks().GetHttpUri().GetCluster(); c != "" {
				out = append(out, jwksUse{provider: n, cluster: c})
			}
		}
	}
	return out, nil
}
