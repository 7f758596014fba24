package netns

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Addresses exist only inside the namespaces a test creates: the pod and
// its peer share 10.99.0.0/24 and fd99::/64 on a veth pair; the peer also
// owns 10.99.2.1 and 10.99.3.1, reached through the pod's default route, to
// stand for "another network" in CIDR tests.
const (
	podIP    = "10.99.0.2"
	peerIP   = "10.99.0.1"
	podIP6   = "fd99::2"
	peerIP6  = "fd99::1"
	otherIP  = "10.99.2.1"
	otherIP2 = "10.99.3.1"
)

// pair is a pod namespace and a peer namespace joined by a veth pair.
type pair struct {
	pod, peer string
}

var nsSeq atomic.Int32

// newPair builds the topology; t.Cleanup deletes both namespaces (and so
// the veth pair) after the helpers started later have been stopped.
func newPair(t *testing.T) *pair {
	t.Helper()
	base := fmt.Sprintf("sailplane-%d-%d", os.Getpid(), nsSeq.Add(1))
	p := &pair{pod: base + "-pod", peer: base + "-peer"}
	for _, ns := range []string{p.pod, p.peer} {
		must(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
		must(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	// Created inside the pod namespace, so the names cannot collide with
	// the host's interfaces.
	must(t, "ip", "-n", p.pod, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", p.peer)
	must(t, "ip", "-n", p.pod, "addr", "add", podIP+"/24", "dev", "eth0")
	must(t, "ip", "-n", p.pod, "addr", "add", podIP6+"/64", "dev", "eth0", "nodad")
	for _, a := range []string{peerIP + "/24", otherIP + "/24", otherIP2 + "/24"} {
		must(t, "ip", "-n", p.peer, "addr", "add", a, "dev", "eth0")
	}
	must(t, "ip", "-n", p.peer, "addr", "add", peerIP6+"/64", "dev", "eth0", "nodad")
	for _, ns := range []string{p.pod, p.peer} {
		must(t, "ip", "-n", ns, "link", "set", "eth0", "up")
	}
	must(t, "ip", "-n", p.pod, "route", "add", "default", "via", peerIP)
	must(t, "ip", "-n", p.pod, "-6", "route", "add", "default", "via", peerIP6)
	return p
}

// initRules runs the real sailplane-init inside the pod namespace.
func (p *pair) initRules(t *testing.T, args ...string) string {
	t.Helper()
	return must(t, "ip", append([]string{"netns", "exec", p.pod, initBin}, args...)...)
}

// listeners for both families: name=tcp4/0.0.0.0:port and tcp6/[::]:port.
func listeners(name string, ports ...int) []string {
	var out []string
	for _, port := range ports {
		out = append(out,
			fmt.Sprintf("%s=tcp4/0.0.0.0:%d", name, port),
			fmt.Sprintf("%s=tcp6/[::]:%d", name, port))
	}
	return out
}

// serve starts a serve helper in ns and waits until it listens.
func (p *pair) serve(t *testing.T, ns string, specs []string) {
	t.Helper()
	startHelper(t, ns, envRole+"=serve", envListen+"="+strings.Join(specs, ";"))
}

// startHelper runs the test binary in ns with env added and waits for its
// "ready" line; t.Cleanup stops it.
func startHelper(t *testing.T, ns string, env ...string) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, helperBin)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err == nil && line != "ready\n" {
			err = fmt.Errorf("unexpected %q", line)
		}
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("helper %v in %s: %v\n%s", env, ns, err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("helper %v in %s not ready after 10s\n%s", env, ns, stderr.String())
	}
}

// who is one dialer identity; root is the application's default here.
type who struct{ uid, gid int }

var root = who{0, 0}

// dial connects from ns to target as w and returns the server's answer
// (name, local, orig, uid, gid).
func (p *pair) dial(ns, target string, w who) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, helperBin)
	cmd.Env = append(os.Environ(), envRole+"=dial", envTarget+"="+target)
	if w != root {
		cmd.Env = append(cmd.Env, envUID+"="+strconv.Itoa(w.uid), envGID+"="+strconv.Itoa(w.gid))
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, bytes.TrimSpace(out))
	}
	answer := map[string]string{}
	for _, field := range strings.Fields(string(out)) {
		k, v, _ := strings.Cut(field, "=")
		answer[k] = v
	}
	return answer, nil
}
