package xdsserver

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xdsauth"
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

// streamKey tells apart the streams of the two ports, and on a port its
// state-of-the-world and Delta streams: the key does not rely on how
// streams are numbered (each port numbers its own), so a SotW and a Delta
// stream with one id are never taken for each other (the identity each
// proved, above all).
func streamKey(ch channel, delta bool, id int64) int64 {
	k := id<<2 | int64(ch)
	if delta {
		k |= 2
	}
	return k
}

// PodLookup finds the service account and UID of a pod the informers
// know; ok is false for a pod they have not seen (yet).
type PodLookup func(namespace, name string) (serviceAccount, uid string, ok bool)

// authorizeNode checks that a verified caller claims a node id of its
// own: the node's namespace is the identity's and its pod is the pod a
// bound token names (xdsauth.AuthorizeNode), and a pod the informers know
// runs as the identity's service account (and is the very pod, by UID, a
// bound token was issued for: until the informers know that UID the
// caller is told to retry). A pod not known yet passes here; it gets no
// configuration until it is known and matches (mesh.ProxyFor).
func authorizeNode(id identity.Identity, nodeID string, pods PodLookup) error {
	if err := xdsauth.AuthorizeNode(id, nodeID); err != nil {
		return err
	}
	n, err := names.ParseNodeID(nodeID)
	if err != nil || pods == nil {
		return err
	}
	sa, uid, ok := pods(n.Namespace, n.Pod)
	if !ok {
		return nil
	}
	if sa != id.ServiceAccount {
		return status.Errorf(codes.PermissionDenied, "%s may not use node id %q: pod %s/%s runs as service account %q", id, nodeID, n.Namespace, n.Pod, sa)
	}
	// A different UID is a pod recreated under the same name that the
	// informers have not caught up with (the API server verified that the
	// token's pod exists), or a token of a pod gone since its review was
	// cached. Neither may be configured as the pod the informers know, but
	// the first is a proxy that will be entitled in a moment: Unavailable
	// makes it reconnect and be checked again, where PermissionDenied would
	// read as final.
	if id.PodUID != "" && uid != id.PodUID {
		return status.Errorf(codes.Unavailable, "%s may not use node id %q yet: pod %s/%s is known as uid %s, the token was issued for uid %s; retry once the control plane has seen that pod", id, nodeID, n.Namespace, n.Pod, uid, id.PodUID)
	}
	return nil
}
