package xdsserver

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/xds"
)

// Snapshot turns one proxy group's resources into a cache snapshot whose
// per-type versions are hashes of the content. A restarted control plane,
// or a second replica, computes the same versions for the same config, so
// proxies that reconnect are not sent what they already have, and a type
// whose content did not change is not pushed again.
func Snapshot(r *xds.Resources) (*cachev3.Snapshot, error) {
	s := &cachev3.Snapshot{}
	add := func(typeURL string, items []types.Resource) error {
		v, err := contentVersion(items)
		if err != nil {
			return err
		}
		s.Resources[cachev3.GetResponseType(typeURL)] = cachev3.NewResources(v, items)
		return nil
	}
	for _, t := range []struct {
		url   string
		items []types.Resource
	}{
		{resource.ListenerType, asResources(r.Listeners)},
		{resource.RouteType, asResources(r.Routes)},
		{resource.ClusterType, asResources(r.Clusters)},
		{resource.EndpointType, asResources(r.Endpoints)},
		{resource.SecretType, asResources(r.Secrets)},
	} {
		if err := add(t.url, t.items); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func asResources[T types.Resource](in []T) []types.Resource {
	out := make([]types.Resource, len(in))
	for i, r := range in {
		out[i] = r
	}
	return out
}

// contentVersion hashes the deterministic encoding of the resources, which
// the translation already sorts by name.
func contentVersion(items []types.Resource) (string, error) {
	h := sha256.New()
	opts := proto.MarshalOptions{Deterministic: true}
	for _, r := range items {
		b, err := opts.Marshal(r)
		if err != nil {
			return "", err
		}
		_, _ = h.Write(b)
		_, _ = h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
