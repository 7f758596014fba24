package grpcmtls

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
)

// answer is one call's outcome: the identity the greeter saw, or the
// status code of a failed call.
type answer struct {
	peer string
	code codes.Code
	err  error
}

func (a answer) String() string {
	if a.code != codes.OK {
		return fmt.Sprintf("failed %v (%v)", a.code, a.err)
	}
	return "answered, caller seen as " + a.peer
}

func call(conn *grpc.ClientConn) answer {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	resp, err := testgrpc.NewTestServiceClient(conn).UnaryCall(ctx, &testgrpc.SimpleRequest{})
	if err != nil {
		return answer{code: status.Code(err), err: err}
	}
	return answer{peer: resp.GetServerId()}
}

// setMode makes the namespace's PeerAuthentication say mode.
func setMode(t *testing.T, mode string) {
	t.Helper()
	ctx := context.Background()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		pa := &securityv1.PeerAuthentication{}
		err := world.k8s.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "default"}, pa)
		pa.Name, pa.Namespace = "default", namespace
		pa.Spec.Mtls = &securityv1.PeerAuthenticationMutualTLS{Mode: mode}
		if err != nil {
			return world.k8s.Create(ctx, pa)
		}
		return world.k8s.Update(ctx, pa)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// eventually polls until both callers get what want says, and fails with
// their last answers after a deadline: configuration reaches the server
// and the clients asynchronously.
func eventually(t *testing.T, what string, meshed, plain *grpc.ClientConn, want func(meshed, plain answer) error) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		m, p := call(meshed), call(plain)
		err := want(m, p)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v\nmeshed caller: %v\nplaintext caller: %v", what, err, m, p)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func seenAs(a answer, who string) error {
	if a.code != codes.OK || a.peer != who {
		return fmt.Errorf("want an answer seeing the caller as %q, got: %v", who, a)
	}
	return nil
}

func refused(a answer) error {
	if a.code != codes.Unavailable {
		return fmt.Errorf("want the call refused (Unavailable), got: %v", a)
	}
	return nil
}

// TestPeerAuthenticationModesLive walks one server and two open client
// channels through STRICT, PERMISSIVE, STRICT again and DISABLE; only the
// PeerAuthentication changes, nothing restarts or redials.
func TestPeerAuthenticationModesLive(t *testing.T) {
	meshed, err := dial(caller, true)
	if err != nil {
		t.Fatal(err)
	}
	defer meshed.Close()
	// The kiosk is not in the mesh: no certificate, the plaintext xDS
	// port, and credentials that never attempt TLS.
	plain, err := dial(kiosk, false)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()

	strict := func(m, p answer) error {
		if err := seenAs(m, caller.spiffe()); err != nil {
			return fmt.Errorf("meshed caller: %w", err)
		}
		if err := refused(p); err != nil {
			return fmt.Errorf("plaintext caller: %w", err)
		}
		return nil
	}
	t.Run("STRICT: mutual TLS with the caller's SPIFFE id, plaintext refused", func(t *testing.T) {
		setMode(t, "STRICT")
		eventually(t, "STRICT", meshed, plain, strict)
	})
	t.Run("PERMISSIVE: plaintext accepted, the meshed caller still authenticated", func(t *testing.T) {
		setMode(t, "PERMISSIVE")
		eventually(t, "PERMISSIVE", meshed, plain, func(m, p answer) error {
			if err := seenAs(m, caller.spiffe()); err != nil {
				return fmt.Errorf("meshed caller: %w", err)
			}
			if err := seenAs(p, plaintextPeer); err != nil {
				return fmt.Errorf("plaintext caller: %w", err)
			}
			return nil
		})
	})
	t.Run("STRICT again: plaintext refused again", func(t *testing.T) {
		setMode(t, "STRICT")
		eventually(t, "STRICT again", meshed, plain, strict)
	})
	t.Run("DISABLE: both plaintext, the meshed caller's auto mTLS turned off", func(t *testing.T) {
		setMode(t, "DISABLE")
		eventually(t, "DISABLE", meshed, plain, func(m, p answer) error {
			if err := seenAs(m, plaintextPeer); err != nil {
				return fmt.Errorf("meshed caller: %w", err)
			}
			if err := seenAs(p, plaintextPeer); err != nil {
				return fmt.Errorf("plaintext caller: %w", err)
			}
			return nil
		})
	})
}
