package grpcjs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sailplane/sailplane/internal/proxystatus"
	"github.com/sailplane/sailplane/test/proxyless"
)

// target is what the Node client dials: the Service by its short name,
// resolved through xDS.
const target = "xds:///reviews:9080"

// result is one call as client.js reports it.
type result struct {
	Server  string  `json:"server"`
	Code    int     `json:"code"`
	Status  string  `json:"status"`
	Ms      float64 `json:"ms"`
	Details string  `json:"details"`
	Done    *int    `json:"done"`
}

func (r result) elapsed() time.Duration { return time.Duration(r.Ms * float64(time.Millisecond)) }

// syncBuffer collects a child's stderr for failure messages.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// jsChannel is one long-lived client.js process: one grpc-js channel that
// sees every configuration change live, as an application's would.
type jsChannel struct {
	in     io.WriteCloser
	out    *bufio.Scanner
	stderr *syncBuffer
}

func startChannel(t *testing.T) *jsChannel {
	t.Helper()
	cmd := exec.Command("node", "client.js", target, "--stdin")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &jsChannel{in: in, out: bufio.NewScanner(out), stderr: &syncBuffer{}}
	cmd.Stderr = c.stderr
	// GRPC_TRACE=xds_client GRPC_VERBOSITY=DEBUG in the test's environment
	// makes grpc-js log its xDS traffic; SAILPLANE_GRPCJS_STDERR keeps it.
	if path := os.Getenv("SAILPLANE_GRPCJS_STDERR"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		cmd.Stderr = io.MultiWriter(c.stderr, f)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close() // client.js closes its channel and exits at end of input
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("client.js exited with %v; stderr:\n%s", err, c.stderr)
			}
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("client.js did not exit at end of input; stderr:\n%s", c.stderr)
		}
	})
	return c
}

// calls makes n sequential calls on the channel with metadata md (key,
// value, ...).
func (c *jsChannel) calls(t *testing.T, n int, md ...string) []result {
	t.Helper()
	req, _ := json.Marshal(map[string]any{"count": n, "metadata": pairs(md)})
	if _, err := c.in.Write(append(req, '\n')); err != nil {
		t.Fatalf("writing to client.js: %v; stderr:\n%s", err, c.stderr)
	}
	var rs []result
	for c.out.Scan() {
		var r result
		if err := json.Unmarshal(c.out.Bytes(), &r); err != nil {
			t.Fatalf("client.js printed %q: %v", c.out.Text(), err)
		}
		if r.Done != nil {
			if len(rs) != n {
				t.Fatalf("client.js reported %d calls for a batch of %d", len(rs), n)
			}
			return rs
		}
		rs = append(rs, r)
	}
	t.Fatalf("client.js stopped mid-batch (%v); stderr:\n%s", c.out.Err(), c.stderr)
	return nil
}

// oneShot runs client.js for n calls on a channel of its own, with
// metadata as --md flags.
func oneShot(t *testing.T, n int, md ...string) []result {
	t.Helper()
	args := []string{"client.js", target, "--count", strconv.Itoa(n)}
	for k, v := range pairs(md) {
		args = append(args, "--md", k+"="+v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("client.js: %v; stderr:\n%s", err, stderr.String())
	}
	var rs []result
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("client.js printed %q: %v", line, err)
		}
		rs = append(rs, r)
	}
	if len(rs) != n {
		t.Fatalf("client.js reported %d calls, want %d:\n%s", len(rs), n, out)
	}
	return rs
}

func pairs(md []string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(md); i += 2 {
		m[md[i]] = md[i+1]
	}
	return m
}

// tally counts answers by server id, and failed calls by status
// ("code:UNAVAILABLE").
func tally(rs []result) map[string]int {
	out := map[string]int{}
	for _, r := range rs {
		if r.Status != "OK" {
			out["code:"+r.Status]++
			continue
		}
		out[r.Server]++
	}
	return out
}

// allAcked: the control plane knows the grpc-js client as a proxyless
// node, has recorded no NACK from it, and it has ACKed the latest version
// of every type it was sent (listeners, routes, clusters, endpoints).
func allAcked(t *testing.T) {
	t.Helper()
	world.Eventually(t, "grpc-js ACKs every version it was sent", func() error {
		proxies, err := proxystatus.Client{Addr: proxyless.MonitoringAddr, Token: world.DebugToken}.Fetch()
		if err != nil {
			return err
		}
		for _, p := range proxies {
			if p.NodeID != world.NodeID() {
				continue
			}
			if len(p.Nacks) > 0 {
				t.Fatalf("grpc-js rejected configuration: %+v", p.Nacks)
			}
			if p.Generator != "grpc" {
				return fmt.Errorf("generator %q, want grpc (proxyless)", p.Generator)
			}
			if len(p.Sent) < 4 {
				return fmt.Errorf("sent only %v", p.Sent)
			}
			for typ, v := range p.Sent {
				if p.Acked[typ] != v {
					return fmt.Errorf("%s: sent %s, acked %q", typ, v, p.Acked[typ])
				}
			}
			return nil
		}
		return fmt.Errorf("%s is not connected", world.NodeID())
	})
	noNacks(t)
}

// noNacks: the control plane has counted no NACK since it started, even
// one that a later version cleared from proxy-status.
func noNacks(t *testing.T) {
	t.Helper()
	if n, err := nacksTotal(); err != nil {
		t.Fatal(err)
	} else if n != 0 {
		t.Fatalf("sailplane_xds_nacks_total is %v: a proxy rejected configuration\n%s", n, world.DebugState())
	}
}

// nacksTotal sums the control plane's NACK counter over all types. The
// grpc-js client is the only proxy in this process.
func nacksTotal() (float64, error) {
	resp, err := http.Get("http://" + proxyless.MonitoringAddr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("/metrics: %s", resp.Status)
	}
	var sum float64
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "sailplane_xds_nacks_total") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("/metrics line %q: %v", line, err)
		}
		sum += v
	}
	return sum, nil
}
