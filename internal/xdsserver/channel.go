package xdsserver

import (
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/names"
)

// channel is the port a stream arrived on.
type channel int

const (
	// plaintext is 15010: no caller is authenticated, so nothing secret
	// is served there.
	plaintext channel = iota
	// authenticated is 15012: TLS, and every stream carries the identity
	// its caller proved.
	authenticated
	numChannels
)

func (c channel) String() string {
	if c == authenticated {
		return "authenticated"
	}
	return "plaintext"
}

// streamKey tells apart the streams of the two ports, whose xDS servers
// number their streams independently.
func streamKey(ch channel, id int64) int64 { return id<<1 | int64(ch) }

// PodLookup finds the service account and UID of a pod the informers
// know; ok is false for a pod they have not seen (yet).
type PodLookup func(namespace, name string) (serviceAccount, uid string, ok bool)

// authorizeNode checks that a verified caller claims a node id of its
// own: the node's namespace is the identity's, its pod is the pod a bound
// token names, and a pod the informers know runs as the identity's service
// account (and is the very pod, by UID, a bound token was issued for). A
// pod not known yet passes here; it gets no configuration until it is
// known and matches (mesh.ProxyFor).
func authorizeNode(id identity.Identity, nodeID string, pods PodLookup) error {
	n, err := names.ParseNodeID(nodeID)
	if err != nil {
		return status.Error(codes.InvalidArgument, "sailplane: "+err.Error())
	}
	deny := func(format string, args ...any) error {
		return status.Error(codes.PermissionDenied, "sailplane: "+fmt.Sprintf(format, args...))
	}
	if n.Namespace != id.Namespace {
		return deny("node id %q names namespace %q, but the caller is %s of namespace %q", nodeID, n.Namespace, id.SPIFFE(), id.Namespace)
	}
	if id.PodName != "" && n.Pod != id.PodName {
		return deny("node id %q names pod %q, but the caller's token is bound to pod %q", nodeID, n.Pod, id.PodName)
	}
	if pods == nil {
		return nil
	}
	sa, uid, ok := pods(n.Namespace, n.Pod)
	if !ok {
		return nil
	}
	if sa != id.ServiceAccount {
		return deny("pod %s/%s runs as service account %q, but the caller is %s", n.Namespace, n.Pod, sa, id.SPIFFE())
	}
	if id.PodUID != "" && uid != id.PodUID {
		return deny("pod %s/%s is not the pod the caller's token was issued for (uid %s, token names %s)", n.Namespace, n.Pod, uid, id.PodUID)
	}
	return nil
}
