package xds

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rawbufferv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/raw_buffer/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/types/known/structpb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds/policy"
)

// autoMTLS lets a cluster speak Istio mutual TLS to the endpoints that
// run a sidecar and plaintext to the others, as Istio's auto mTLS does:
// the endpoints carry metadata envoy.transport_socket_match {tlsMode:
// istio} (endpointMetadata), and the cluster a transport socket match for
// it ahead of a plaintext default. It applies only when the cluster's
// DestinationRule leaves tls unset (ISTIO_MUTUAL forces mutual TLS,
// DISABLE turns it off, SIMPLE and MUTUAL are the rule's own TLS), to
// services in the mesh whose endpoints the control plane knows (EDS), and
// not when the destination's namespace DISABLEs mutual TLS. For proxyless
// gRPC clients grpcTransport turns the matches into one choice per
// cluster.
func (g *generator) autoMTLS(c *clusterv3.Cluster, svc *model.Service, port model.Port, subset string, tp *networkingv1.TrafficPolicy) {
	if svc.MeshExternal || c.GetType() != clusterv3.Cluster_EDS || c.TransportSocket != nil {
		return
	}
	if tp != nil && tp.TLS != nil {
		return
	}
	if g.m.NamespaceMTLSMode(svc.Namespace) == model.MTLSDisable {
		return
	}
	mtls, err := policy.IstioMutualSocket(names.MTLSSNI(port.Number, subset, svc.Hostname), svc.ServiceAccounts, http2Upstream(c))
	if err != nil {
		g.problem(generatorRef, "", "cluster "+c.Name+": no auto mTLS: "+err.Error())
		return
	}
	c.TransportSocketMatches = []*clusterv3.Cluster_TransportSocketMatch{
		{Name: names.TransportSocketMatchIstio, Match: tlsModeIstioMatch, TransportSocket: mtls},
		{Name: names.TransportSocketMatchDisabled, Match: matchAnything, TransportSocket: plaintextSocket},
	}
}

// The constant parts of auto mTLS are one message each, shared by every
// cluster and endpoint that carries them: translated protos are never
// changed once built (TestSharedMessagesUnchanged checks these), and one
// copy per endpoint and cluster of every outbound half was a large part
// of a reconcile's memory.
var (
	// tlsModeIstioMatch is {tlsMode: istio}: the transport socket match
	// of meshed endpoints, and what their metadata says.
	tlsModeIstioMatch = tlsModeIstio()
	matchAnything     = &structpb.Struct{}
	plaintextSocket   = rawBuffer()
	// meshedMetadata is the metadata of an endpoint whose pod runs a
	// sidecar.
	meshedMetadata = &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{names.TransportSocketMatchFilter: tlsModeIstioMatch}}
)

func tlsModeIstio() *structpb.Struct {
	return &structpb.Struct{Fields: map[string]*structpb.Value{names.TLSModeKey: structpb.NewStringValue(names.TLSModeIstio)}}
}

func rawBuffer() *corev3.TransportSocket {
	return &corev3.TransportSocket{
		Name:       names.RawBufferTransportSocket,
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(&rawbufferv3.RawBuffer{})},
	}
}

// http2Upstream reports whether the cluster speaks HTTP/2 upstream (its
// protocol options say so), for the ALPN mutual TLS offers.
func http2Upstream(c *clusterv3.Cluster) bool {
	opts, ok := c.GetTypedExtensionProtocolOptions()[policy.HTTPProtocolOptionsKey]
	if !ok {
		return false
	}
	var hpo httpv3.HttpProtocolOptions
	if err := opts.UnmarshalTo(&hpo); err != nil {
		return false
	}
	return hpo.GetExplicitHttpConfig().GetHttp2ProtocolOptions() != nil
}

// endpointMetadata marks an endpoint whose pod runs a sidecar, for the
// cluster's transport socket match.
func endpointMetadata(e model.Endpoint) *corev3.Metadata {
	if !e.Meshed {
		return nil
	}
	return meshedMetadata
}
