package xdsauth

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/names"
)

// AuthorizeNode decides whether a verified caller may receive the
// configuration of the proxy its node id names: the node must be in the
// caller's namespace and, when the credential names a pod (a bound token),
// be that pod. The configuration of a namespace is what its workloads may
// see, so a caller of another namespace must not get it by claiming a node
// id. Errors are gRPC PermissionDenied naming both sides.
//
// A certificate names no pod, so a certificate caller may claim any pod of
// its namespace here; the caller of AuthorizeNode also checks the pod runs
// as id.ServiceAccount.
func AuthorizeNode(id identity.Identity, nodeID string) error {
	node, err := names.ParseNodeID(nodeID)
	if err != nil {
		return status.Errorf(codes.PermissionDenied, "%s may not use node id %q: %v", id, nodeID, err)
	}
	if node.Namespace != id.Namespace {
		return status.Errorf(codes.PermissionDenied, "%s may not use node id %q: its namespace %q is not the caller's namespace %q",
			id, nodeID, node.Namespace, id.Namespace)
	}
	if id.PodName != "" && node.Pod != id.PodName {
		return status.Errorf(codes.PermissionDenied, "%s may not use node id %q: its pod %q is not the caller's pod %q",
			id, nodeID, node.Pod, id.PodName)
	}
	return nil
}
