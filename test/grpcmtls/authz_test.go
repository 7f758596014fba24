package grpcmtls

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	"github.com/sailplane/sailplane/internal/defaults"
)

// The greeter's two methods, as AuthorizationPolicy paths name them.
const (
	emptyCall = "/grpc.testing.TestService/EmptyCall"
	unaryCall = "/grpc.testing.TestService/UnaryCall"
)

// outcomes is what each method of the greeter answered one channel.
type outcomes map[string]codes.Code

func (o outcomes) String() string {
	var parts []string
	for _, m := range []string{emptyCall, unaryCall} {
		parts = append(parts, m[strings.LastIndex(m, "/")+1:]+"="+o[m].String())
	}
	return strings.Join(parts, " ")
}

// callMethods calls both methods once; a connection the server drains
// after a listener update fails over to a new one by itself.
func callMethods(conn *grpc.ClientConn) outcomes {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c := testgrpc.NewTestServiceClient(conn)
	_, e1 := c.EmptyCall(ctx, &testgrpc.Empty{})
	_, e2 := c.UnaryCall(ctx, &testgrpc.SimpleRequest{})
	return outcomes{emptyCall: status.Code(e1), unaryCall: status.Code(e2)}
}

const denied = codes.PermissionDenied

var (
	allowedBoth = outcomes{emptyCall: codes.OK, unaryCall: codes.OK}
	deniedBoth  = outcomes{emptyCall: denied, unaryCall: denied}
	onlyEmpty   = outcomes{emptyCall: codes.OK, unaryCall: denied}
	onlyUnary   = outcomes{emptyCall: denied, unaryCall: codes.OK}
)

// eventuallyAnswers polls until every channel gets the outcomes want
// names for it: a policy change reaches the server over ADS.
func eventuallyAnswers(t *testing.T, what string, chans []channel, want map[string]outcomes) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		var errs, last []string
		for _, c := range chans {
			got := callMethods(c.conn)
			last = append(last, c.name+": "+got.String())
			if got.String() != want[c.name].String() {
				errs = append(errs, fmt.Sprintf("%s: want %v", c.name, want[c.name]))
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

// principal is the pod's identity as AuthorizationPolicy principals name
// it (the SPIFFE id without its scheme).
func (p pod) principal() string { return strings.TrimPrefix(p.spiffe(), "spiffe://") }

// greeterRule allows or denies callers of the path on the greeter.
func greeterRule(path string, from ...pod) securityv1.AuthorizationRule {
	var principals []securityv1.AuthzMatch
	for _, p := range from {
		principals = append(principals, securityv1.AuthzMatch(p.principal()))
	}
	return securityv1.AuthorizationRule{
		From: []securityv1.AuthorizationRuleFrom{{Source: &securityv1.AuthorizationSource{Principals: principals}}},
		To:   []securityv1.AuthorizationRuleTo{{Operation: &securityv1.AuthorizationOperation{Paths: []securityv1.NonEmpty{securityv1.NonEmpty(path)}}}},
	}
}

// applyPolicy creates or updates the greeter's policy of that name.
func applyPolicy(t *testing.T, name, action string, rules ...securityv1.AuthorizationRule) {
	t.Helper()
	applyPolicyTo(t, greeter, name, action, rules...)
}

// applyPolicyTo creates or updates the policy of that name, selecting the
// server's pods.
func applyPolicyTo(t *testing.T, server pod, name, action string, rules ...securityv1.AuthorizationRule) {
	t.Helper()
	ctx := context.Background()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ap := &securityv1.AuthorizationPolicy{}
		err := world.k8s.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, ap)
		ap.Name, ap.Namespace = name, namespace
		ap.Spec = securityv1.AuthorizationPolicySpec{
			Selector: &securityv1.WorkloadSelector{MatchLabels: map[string]securityv1.LabelValue{"app": securityv1.LabelValue(server.name)}},
			Action:   action,
			Rules:    rules,
		}
		if apierrors.IsNotFound(err) {
			return world.k8s.Create(ctx, ap)
		}
		if err != nil {
			return err
		}
		return world.k8s.Update(ctx, ap)
	})
	if err != nil {
		t.Fatalf("AuthorizationPolicy %s/%s: %v", namespace, name, err)
	}
}

func deletePolicy(t *testing.T, name string) {
	t.Helper()
	ap := &securityv1.AuthorizationPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if err := world.k8s.Delete(context.Background(), ap); client.IgnoreNotFound(err) != nil {
		t.Fatalf("deleting AuthorizationPolicy %s/%s: %v", namespace, name, err)
	}
}

// checkAccepted waits for Accepted=True, for the current generation, on
// every policy named (in the test's namespace).
func checkAccepted(t *testing.T, policies ...string) {
	t.Helper()
	var keys []client.ObjectKey
	for _, name := range policies {
		keys = append(keys, client.ObjectKey{Namespace: namespace, Name: name})
	}
	checkAcceptedKeys(t, keys...)
}

func checkAcceptedKeys(t *testing.T, keys ...client.ObjectKey) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var problems []string
		for _, key := range keys {
			if p := acceptedProblem(key); p != "" {
				problems = append(problems, p)
			}
		}
		if len(problems) == 0 {
			return
		}
		if time.Now().After(deadline) {
			sort.Strings(problems)
			t.Fatalf("policy status: %s", strings.Join(problems, "; "))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func acceptedProblem(key client.ObjectKey) string {
	name := key.String()
	ap := &securityv1.AuthorizationPolicy{}
	if err := world.k8s.Get(context.Background(), key, ap); err != nil {
		return name + ": " + err.Error()
	}
	c := meta.FindStatusCondition(ap.Status.Conditions, "Accepted")
	switch {
	case c == nil:
		return name + ": no Accepted condition"
	case c.ObservedGeneration != ap.Generation:
		return fmt.Sprintf("%s: Accepted is for generation %d, not %d", name, c.ObservedGeneration, ap.Generation)
	case c.Status != metav1.ConditionTrue:
		return fmt.Sprintf("%s: Accepted=%s: %s: %s", name, c.Status, c.Reason, c.Message)
	}
	return ""
}

// TestAuthorizationPolicyLive: two meshed clients of different service
// accounts (caller, auditor) call both methods of the greeter, an
// xDS-enabled grpc-go server whose listener only sailplane configures,
// over mutual TLS with mesh certificates. AuthorizationPolicies are
// created, edited and deleted while every side keeps running and no
// channel is redialled; the server enforces each state through the RBAC
// filters of the listener it was served (PERMISSION_DENIED comes from
// nowhere else: without them every call would be answered), accepts
// every update (no NACK) and each policy's status says Accepted.
func TestAuthorizationPolicyLive(t *testing.T) {
	setMode(t, "STRICT")
	t.Cleanup(func() {
		deletePolicy(t, "greeter-allow")
		deletePolicy(t, "greeter-deny")
	})
	var chans []channel
	for _, from := range []pod{caller, auditor} {
		conn, err := dial(from, greeter, true)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		chans = append(chans, channel{name: from.name, conn: conn})
	}
	nodes := []pod{greeter, caller, auditor}
	// The principals the policies name are what mutual TLS proved.
	eventually(t, "STRICT", chans, map[string]expect{"caller": expect(caller.spiffe()), "auditor": expect(auditor.spiffe())})
	eventuallyAnswers(t, "no policy: everything is allowed", chans, map[string]outcomes{"caller": allowedBoth, "auditor": allowedBoth})
	checkProxyStatus(t, nodes...)

	for _, step := range []struct {
		name   string
		change func(t *testing.T)
		live   []string // the policies that exist after the change
		want   map[string]outcomes
	}{
		{"ALLOW one method for one service account", func(t *testing.T) {
			applyPolicy(t, "greeter-allow", securityv1.AuthzAllow, greeterRule(emptyCall, caller))
		}, []string{"greeter-allow"}, map[string]outcomes{"caller": onlyEmpty, "auditor": deniedBoth}},
		{"a DENY policy overrides the ALLOW", func(t *testing.T) {
			rule := greeterRule("/grpc.testing.TestService/Empty*")
			rule.From[0].Source.Principals = []securityv1.AuthzMatch{securityv1.AuthzMatch("*/sa/" + caller.serviceAccount)}
			applyPolicy(t, "greeter-deny", securityv1.AuthzDeny, rule)
		}, []string{"greeter-allow", "greeter-deny"}, map[string]outcomes{"caller": deniedBoth, "auditor": deniedBoth}},
		{"editing the ALLOW to the other account and method", func(t *testing.T) {
			applyPolicy(t, "greeter-allow", securityv1.AuthzAllow, greeterRule(unaryCall, auditor))
		}, []string{"greeter-allow", "greeter-deny"}, map[string]outcomes{"caller": deniedBoth, "auditor": onlyUnary}},
		{"editing it back: the DENY still wins", func(t *testing.T) {
			applyPolicy(t, "greeter-allow", securityv1.AuthzAllow, greeterRule(emptyCall, caller))
		}, []string{"greeter-allow", "greeter-deny"}, map[string]outcomes{"caller": deniedBoth, "auditor": deniedBoth}},
		{"deleting the DENY", func(t *testing.T) {
			deletePolicy(t, "greeter-deny")
		}, []string{"greeter-allow"}, map[string]outcomes{"caller": onlyEmpty, "auditor": deniedBoth}},
		{"deleting the ALLOW: back to allowed", func(t *testing.T) {
			deletePolicy(t, "greeter-allow")
		}, nil, map[string]outcomes{"caller": allowedBoth, "auditor": allowedBoth}},
	} {
		ok := t.Run(step.name, func(t *testing.T) {
			step.change(t)
			checkAccepted(t, step.live...)
			eventuallyAnswers(t, step.name, chans, step.want)
			checkProxyStatus(t, nodes...)
		})
		if !ok {
			return // later steps start from this one's state
		}
	}
}

// TestAuthorizationPolicyPermissive: under PERMISSIVE the greeter's
// listener has a plaintext chain next to the mutual TLS one, and both
// enforce. A DENY of callers without a principal refuses the plaintext
// kiosk only; a policy allowing the namespace lets the authenticated caller
// in and refuses the plaintext kiosk (a plaintext connection proves no
// namespace), rather than letting plaintext bypass authorization. A
// policy that allows nothing, selecting the legacy server only, changes
// nothing on the greeter.
func TestAuthorizationPolicyPermissive(t *testing.T) {
	setMode(t, "PERMISSIVE")
	t.Cleanup(func() {
		deletePolicy(t, "greeter-require-mtls")
		deletePolicy(t, "greeter-namespace")
		deletePolicy(t, "legacy-nothing")
		setMode(t, "STRICT")
	})
	var chans []channel
	for _, c := range []struct {
		from, to pod
		xdsCreds bool
	}{{caller, greeter, true}, {kiosk, greeter, false}, {kiosk, legacy, false}} {
		conn, err := dial(c.from, c.to, c.xdsCreds)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		chans = append(chans, channel{name: c.from.name + "->" + c.to.name, conn: conn})
	}
	eventually(t, "PERMISSIVE", chans, map[string]expect{
		"caller->greeter": expect(caller.spiffe()), "kiosk->greeter": plaintextPeer, "kiosk->legacy": plaintextPeer,
	})

	// Istio's recipe for refusing plaintext under PERMISSIVE: DENY what
	// has no principal.
	applyPolicy(t, "greeter-require-mtls", securityv1.AuthzDeny, securityv1.AuthorizationRule{
		From: []securityv1.AuthorizationRuleFrom{{Source: &securityv1.AuthorizationSource{NotPrincipals: []securityv1.AuthzMatch{"*"}}}},
	})
	checkAccepted(t, "greeter-require-mtls")
	eventuallyAnswers(t, "DENY notPrincipals *", chans, map[string]outcomes{
		"caller->greeter": allowedBoth, "kiosk->greeter": deniedBoth, "kiosk->legacy": allowedBoth,
	})
	deletePolicy(t, "greeter-require-mtls")
	eventuallyAnswers(t, "DENY deleted", chans, map[string]outcomes{
		"caller->greeter": allowedBoth, "kiosk->greeter": allowedBoth, "kiosk->legacy": allowedBoth,
	})

	applyPolicy(t, "greeter-namespace", securityv1.AuthzAllow, securityv1.AuthorizationRule{
		From: []securityv1.AuthorizationRuleFrom{{Source: &securityv1.AuthorizationSource{Namespaces: []securityv1.AuthzMatch{namespace}}}},
	})
	checkAccepted(t, "greeter-namespace")
	eventuallyAnswers(t, "ALLOW from the namespace", chans, map[string]outcomes{
		"caller->greeter": allowedBoth, "kiosk->greeter": deniedBoth, "kiosk->legacy": allowedBoth,
	})

	// An ALLOW policy without rules allows nothing, on what it selects.
	applyPolicyTo(t, legacy, "legacy-nothing", securityv1.AuthzAllow)
	checkAccepted(t, "greeter-namespace", "legacy-nothing")
	eventuallyAnswers(t, "allow-nothing on legacy", chans, map[string]outcomes{
		"caller->greeter": allowedBoth, "kiosk->greeter": deniedBoth, "kiosk->legacy": deniedBoth,
	})
	checkProxyStatus(t, greeter, legacy, caller, kiosk)
}

// TestAuthorizationPolicyMeshWidePorts: a policy in the root namespace
// without a selector applies to the greeter too, and its ports are the
// port the server listens on (50051), not the Service's (9080), as for
// Envoy: one DENY policy whose rule on UnaryCall names 50051 and whose
// rule on EmptyCall names 9080 refuses the auditor UnaryCall only.
func TestAuthorizationPolicyMeshWidePorts(t *testing.T) {
	setMode(t, "STRICT")
	ctx := context.Background()
	root := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: defaults.RootNamespace}}
	if err := world.k8s.Create(ctx, root); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	rule := func(path, port string) securityv1.AuthorizationRule {
		r := greeterRule(path, auditor)
		r.To[0].Operation.Ports = []securityv1.PortValue{securityv1.PortValue(port)}
		return r
	}
	ap := &securityv1.AuthorizationPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: defaults.RootNamespace, Name: "mesh-deny"}}
	ap.Spec = securityv1.AuthorizationPolicySpec{Action: securityv1.AuthzDeny, Rules: []securityv1.AuthorizationRule{
		rule(unaryCall, strconv.Itoa(serverPort)), rule(emptyCall, strconv.Itoa(servicePort)),
	}}
	if err := world.k8s.Create(ctx, ap); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := world.k8s.Delete(ctx, ap); client.IgnoreNotFound(err) != nil {
			t.Error(err)
		}
	})
	var chans []channel
	for _, from := range []pod{caller, auditor} {
		conn, err := dial(from, greeter, true)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		chans = append(chans, channel{name: from.name, conn: conn})
	}
	checkAcceptedKeys(t, client.ObjectKeyFromObject(ap))
	eventuallyAnswers(t, "mesh-wide DENY on the server's port", chans, map[string]outcomes{"caller": allowedBoth, "auditor": onlyEmpty})
	checkProxyStatus(t, greeter, caller, auditor)
}

// TestAuthorizationPolicyGRPCCannotApply: a rule on request principals
// (a JWT, which a proxyless gRPC server does not validate) cannot be
// applied by the greeter. The ALLOW rule is dropped there, so the policy
// allows nothing rather than everything, and its status says so while
// the server is connected.
func TestAuthorizationPolicyGRPCCannotApply(t *testing.T) {
	setMode(t, "STRICT")
	t.Cleanup(func() { deletePolicy(t, "greeter-jwt") })
	conn, err := dial(caller, greeter, true)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	chans := []channel{{name: "caller", conn: conn}}
	eventuallyAnswers(t, "no policy", chans, map[string]outcomes{"caller": allowedBoth})
	applyPolicy(t, "greeter-jwt", securityv1.AuthzAllow, securityv1.AuthorizationRule{
		From: []securityv1.AuthorizationRuleFrom{{Source: &securityv1.AuthorizationSource{RequestPrincipals: []securityv1.AuthzMatch{"*"}}}},
	})
	eventuallyAnswers(t, "ALLOW on a JWT, dropped", chans, map[string]outcomes{"caller": deniedBoth})
	key := client.ObjectKey{Namespace: namespace, Name: "greeter-jwt"}
	deadline := time.Now().Add(30 * time.Second)
	for {
		p := acceptedProblem(key)
		if strings.Contains(p, "Accepted=False") && strings.Contains(p, "requestPrincipals") && strings.Contains(p, "proxyless gRPC") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("want Accepted=False naming requestPrincipals and proxyless gRPC, got %q", p)
		}
		time.Sleep(200 * time.Millisecond)
	}
	checkProxyStatus(t, greeter, caller)
}

// TestAuthorizationPolicyHosts: hosts match the authority the client
// dialled (greeter:9080) ignoring case, `host:*` for any port, as Istio
// matches them on Envoy: the rule naming Greeter:* on EmptyCall allows it,
// the one naming another host allows nothing.
func TestAuthorizationPolicyHosts(t *testing.T) {
	setMode(t, "STRICT")
	t.Cleanup(func() { deletePolicy(t, "greeter-hosts") })
	conn, err := dial(caller, greeter, true)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	chans := []channel{{name: "caller", conn: conn}}
	hostRule := func(host, path string) securityv1.AuthorizationRule {
		op := &securityv1.AuthorizationOperation{Hosts: []securityv1.AuthzMatch{securityv1.AuthzMatch(host)}}
		if path != "" {
			op.Paths = []securityv1.NonEmpty{securityv1.NonEmpty(path)}
		}
		return securityv1.AuthorizationRule{To: []securityv1.AuthorizationRuleTo{{Operation: op}}}
	}
	applyPolicy(t, "greeter-hosts", securityv1.AuthzAllow, hostRule("Greeter:*", emptyCall), hostRule("legacy:*", ""))
	checkAccepted(t, "greeter-hosts")
	eventuallyAnswers(t, "ALLOW by host", chans, map[string]outcomes{"caller": onlyEmpty})
	checkProxyStatus(t, greeter, caller)
}
