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

// Builder turns proxy groups' resources into cache snapshots whose
// per-type versions are hashes of the content. A restarted control plane,
// or a second replica, computes the same versions for the same config, so
// proxies that reconnect are not sent what they already have, and a type
// whose content did not change is not pushed again.
//
// Groups share most of their protos (the outbound half of a namespace), so
// one Builder per publish hashes each proto once and hands groups with the
// same content for a type the same resource map.
type Builder struct {
	fingerprints map[types.Resource][sha256.Size]byte
	shared       map[string]cachev3.Resources // by type URL + version
	versionMaps  map[string]map[string]string // by type URL + version
	opts         proto.MarshalOptions
}

// NewBuilder returns a Builder for one publish.
func NewBuilder() *Builder {
	return &Builder{
		fingerprints: map[types.Resource][sha256.Size]byte{},
		shared:       map[string]cachev3.Resources{},
		versionMaps:  map[string]map[string]string{},
		opts:         proto.MarshalOptions{Deterministic: true},
	}
}

// Snapshot converts one group's resources.
func Snapshot(r *xds.Resources) (*cachev3.Snapshot, error) { return NewBuilder().Snapshot(r) }

// Snapshot converts one group's resources, reusing what earlier groups of
// the same publish already hashed.
func (b *Builder) Snapshot(r *xds.Resources) (*cachev3.Snapshot, error) {
	s := &cachev3.Snapshot{VersionMap: map[string]map[string]string{}}
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
		v, err := b.version(t.items)
		if err != nil {
			return nil, err
		}
		key := t.url + "|" + v
		res, ok := b.shared[key]
		if !ok {
			res = cachev3.NewResources(v, t.items)
			b.shared[key] = res
		}
		s.Resources[cachev3.GetResponseType(t.url)] = res
		s.VersionMap[t.url] = b.versionMap(key, t.items)
	}
	return s, nil
}

// versionMap is the per-resource version Delta xDS compares, the same
// value the cache would compute (hex SHA-256 of the deterministic
// encoding), taken from the fingerprints already made, so the cache does
// not marshal every resource of every group again.
func (b *Builder) versionMap(key string, items []types.Resource) map[string]string {
	if m, ok := b.versionMaps[key]; ok {
		return m
	}
	m := make(map[string]string, len(items))
	for _, r := range items {
		fp := b.fingerprints[r]
		m[cachev3.GetResourceName(r)] = hex.EncodeToString(fp[:])
	}
	b.versionMaps[key] = m
	return m
}

func asResources[T types.Resource](in []T) []types.Resource {
	out := make([]types.Resource, len(in))
	for i, r := range in {
		out[i] = r
	}
	return out
}

// version hashes the fingerprints of the resources, which the translation
// already sorts by name.
func (b *Builder) version(items []types.Resource) (string, error) {
	h := sha256.New()
	for _, r := range items {
		fp, ok := b.fingerprints[r]
		if !ok {
			raw, err := b.opts.Marshal(r)
			if err != nil {
				return "", err
			}
			fp = sha256.Sum256(raw)
			b.fingerprints[r] = fp
		}
		_, _ = h.Write(fp[:])
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
