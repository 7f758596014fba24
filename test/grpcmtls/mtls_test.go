package grpcmtls

import (
	"context"
	"fmt"
	"sort"
	"strings"
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

// answer is one call's outcome: the identity the server saw, or the
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

// expect is what one channel's calls must give: the identity the server
// sees, or refused ("" peer).
type expect string

const refused expect = ""

func (e expect) check(a answer) error {
	if e == refused {
		if a.code != codes.Unavailable {
			return fmt.Errorf("want the call refused (Unavailable), got: %v", a)
		}
		return nil
	}
	if a.code != codes.OK || a.peer != string(e) {
		return fmt.Errorf("want an answer seeing the caller as %q, got: %v", e, a)
	}
	return nil
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

// channel is one open client channel and its name in failures.
type channel struct {
	name string
	conn *grpc.ClientConn
}

// eventually polls until every channel gets what want says, and fails
// with their last answers after a deadline: configuration reaches the
// servers and the clients asynchronously.
func eventually(t *testing.T, what string, chans []channel, want map[string]expect) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		var errs, last []string
		for _, c := range chans {
			a := call(c.conn)
			last = append(last, c.name+": "+a.String())
			if err := want[c.name].check(a); err != nil {
				errs = append(errs, c.name+": "+err.Error())
			}
		}
		if len(errs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s:\n  %s\nlast answers:\n  %s", what, strings.Join(errs, "\n  "), strings.Join(last, "\n  "))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestPeerAuthenticationModesLive walks two servers and four open client
// channels through STRICT, PERMISSIVE, STRICT again and DISABLE; only the
// PeerAuthentication changes, nothing restarts or redials. The greeter
// (meshed, with a certificate) demands what the mode says; the legacy
// server (unmeshed, on the plaintext xDS port, no certificate) can take
// plaintext only, so STRICT leaves it without a listener and it serves
// nothing. The caller is meshed and uses xDS credentials; the kiosk is
// not, and its credentials never attempt TLS.
func TestPeerAuthenticationModesLive(t *testing.T) {
	var chans []channel
	for _, c := range []struct {
		from, to pod
		xdsCreds bool
	}{{caller, greeter, true}, {kiosk, greeter, false}, {caller, legacy, true}, {kiosk, legacy, false}} {
		conn, err := dial(c.from, c.to, c.xdsCreds)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		chans = append(chans, channel{name: c.from.name + "->" + c.to.name, conn: conn})
	}
	strict := map[string]expect{
		"caller->greeter": expect(caller.spiffe()), "kiosk->greeter": refused,
		"caller->legacy": refused, "kiosk->legacy": refused,
	}
	for _, step := range []struct {
		mode, why string
		want      map[string]expect
	}{
		{"STRICT", "mutual TLS with the caller's SPIFFE id, plaintext refused", strict},
		{"PERMISSIVE", "plaintext accepted, the meshed caller still authenticated", map[string]expect{
			"caller->greeter": expect(caller.spiffe()), "kiosk->greeter": plaintextPeer,
			"caller->legacy": plaintextPeer, "kiosk->legacy": plaintextPeer,
		}},
		{"STRICT", "plaintext refused again", strict},
		{"DISABLE", "all plaintext, the caller's auto mTLS turned off", map[string]expect{
			"caller->greeter": plaintextPeer, "kiosk->greeter": plaintextPeer,
			"caller->legacy": plaintextPeer, "kiosk->legacy": plaintextPeer,
		}},
	} {
		t.Run(step.mode+": "+step.why, func(t *testing.T) {
			setMode(t, step.mode)
			eventually(t, step.mode, chans, step.want)
			checkProxyStatus(t, greeter, legacy, caller, kiosk)
		})
	}
}

// checkProxyStatus asks the control plane what it knows of the nodes: each on the port its bootstrap names, the authenticated ones as
// their SPIFFE id, the servers subscribed to their own listener by name,
// and every node having accepted (ACKed) the last version of every type
// it was sent, none rejected.
func checkProxyStatus(t *testing.T, pods ...pod) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := proxyStatusProblems(pods)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("proxy-status: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func proxyStatusProblems(pods []pod) error {
	statuses, err := proxyStatus()
	if err != nil {
		return err
	}
	var problems []string
	for _, p := range pods {
		s, ok := statuses[p.nodeID()]
		if !ok {
			problems = append(problems, p.name+": not connected")
			continue
		}
		port, id := "plaintext", ""
		if p.dir != "" {
			port, id = "authenticated", p.spiffe()
		}
		if s.Port != port || s.Identity != id {
			problems = append(problems, fmt.Sprintf("%s: port %q as %q, want %q as %q", p.name, s.Port, s.Identity, port, id))
		}
		if len(s.Nacks) > 0 {
			problems = append(problems, fmt.Sprintf("%s: rejected %v", p.name, s.Nacks))
		}
		for typ, v := range s.Sent {
			if s.Acked[typ] != v {
				problems = append(problems, fmt.Sprintf("%s: %s sent %s, acked %q", p.name, typ, v, s.Acked[typ]))
			}
		}
		if p == greeter || p == legacy {
			want := serverListener(p)
			if !subscribed(s.Subscribed, want) {
				problems = append(problems, fmt.Sprintf("%s: not subscribed to %s: %v", p.name, want, s.Subscribed))
			}
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

func subscribed(subs map[string][]string, name string) bool {
	for _, names := range subs {
		for _, n := range names {
			if n == name {
				return true
			}
		}
	}
	return false
}
