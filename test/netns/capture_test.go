package netns

import "testing"

// proxy is the sidecar's identity; app is the default (root) application.
var (
	proxy      = who{1337, 1337}
	proxyUID   = who{1337, 4242} // only the UID rule can exempt it
	proxyGID   = who{4242, 1337} // only the GID rule can exempt it
	otherUser  = who{4242, 4242}
	defaultCmd = []string{"-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT",
		"-i", "*", "-x", "", "-b", "*", "-d", "15090,15021,15020"}
)

// setUp builds a pod/peer pair with listeners and applies args with the
// real sailplane-init.
func setUp(t *testing.T, tproxy bool, args []string) *pair {
	t.Helper()
	prepare(t)
	p := newPair(t)
	p.serve(t, p.pod, podListeners(tproxy))
	p.serve(t, p.peer, peerListeners)
	p.initRules(t, args...)
	return p
}

// TestDefaultSidecarCapture applies Istio's default istio-init command plus
// an excluded outbound port and range, and proves each rule with a real
// connection, in both families.
func TestDefaultSidecarCapture(t *testing.T) {
	args := append(append([]string(nil), defaultCmd...), "-x", "10.99.2.0/24", "-o", "2525")
	p := setUp(t, false, args)
	peer8080, peer8080v6 := hostPort(peerIP, 8080), hostPort(peerIP6, 8080)
	pod9080, pod9080v6 := hostPort(podIP, 9080), hostPort(podIP6, 9080)
	probes := []probe{
		{"app outbound is captured", p.pod, root, peer8080, outboundCaptured(peer8080)},
		{"app outbound is captured (IPv6)", p.pod, root, peer8080v6, outboundCaptured(peer8080v6)},
		{"another user's outbound is captured", p.pod, otherUser, peer8080, outboundCaptured(peer8080)},
		{"proxy UID+GID 1337 is not captured", p.pod, proxy, peer8080, reachedPeer(peer8080)},
		{"proxy UID 1337 alone is not captured", p.pod, proxyUID, peer8080, reachedPeer(peer8080)},
		{"proxy GID 1337 alone is not captured", p.pod, proxyGID, peer8080, reachedPeer(peer8080)},
		{"proxy is not captured (IPv6)", p.pod, proxy, peer8080v6, reachedPeer(peer8080v6)},
		{"excluded outbound port", p.pod, root, hostPort(peerIP, 2525), reachedPeer(hostPort(peerIP, 2525))},
		{"excluded outbound port (IPv6)", p.pod, root, hostPort(peerIP6, 2525), reachedPeer(hostPort(peerIP6, 2525))},
		{"excluded outbound range", p.pod, root, hostPort(otherIP, 8080), reachedPeer(hostPort(otherIP, 8080))},
		{"outside the excluded range is captured", p.pod, root, hostPort(otherIP2, 8080), outboundCaptured(hostPort(otherIP2, 8080))},
		{"localhost is not captured", p.pod, root, hostPort("127.0.0.1", 9080), reachedPod(9080, hostPort("127.0.0.1", 9080))},
		{"app to own pod IP over lo is not captured", p.pod, root, hostPort(podIP, 9090), reachedPod(9090, hostPort(podIP, 9090))},
		{"proxy to own pod IP enters inbound", p.pod, proxy, pod9080, inboundCaptured(pod9080)},
		{"proxy to own pod IP enters inbound (IPv6)", p.pod, proxy, pod9080v6, inboundCaptured(pod9080v6)},
		{"inbound is captured", p.peer, root, pod9080, inboundCaptured(pod9080)},
		{"inbound is captured (IPv6)", p.peer, root, pod9080v6, inboundCaptured(pod9080v6)},
	}
	for _, port := range []int{15090, 15021, 15020, 15008} {
		target := hostPort(podIP, port)
		probes = append(probes, probe{"excluded inbound port", p.peer, root, target, reachedPod(port, target)})
	}
	p.check(t, probes)
	p.rerunConverges(t, args)
	p.check(t, probes[:2])
}

// TestIncludedRangesAndPorts captures only listed destinations and ports:
// -i with one IPv4 range (so no IPv6 destination is captured by range),
// -q adding a port everywhere, -b capturing one inbound port.
func TestIncludedRangesAndPorts(t *testing.T) {
	args := []string{"-i", "10.99.3.0/24", "-b", "9080", "-q", "2626"}
	p := setUp(t, false, args)
	p.check(t, []probe{
		{"included range is captured", p.pod, root, hostPort(otherIP2, 8080), outboundCaptured(hostPort(otherIP2, 8080))},
		{"outside the included range is not", p.pod, root, hostPort(peerIP, 8080), reachedPeer(hostPort(peerIP, 8080))},
		{"IPv6 outside the included ranges is not", p.pod, root, hostPort(peerIP6, 8080), reachedPeer(hostPort(peerIP6, 8080))},
		{"included port is captured anywhere", p.pod, root, hostPort(peerIP, 2626), outboundCaptured(hostPort(peerIP, 2626))},
		{"included port is captured (IPv6)", p.pod, root, hostPort(peerIP6, 2626), outboundCaptured(hostPort(peerIP6, 2626))},
		{"listed inbound port is captured", p.peer, root, hostPort(podIP, 9080), inboundCaptured(hostPort(podIP, 9080))},
		{"unlisted inbound port is not", p.peer, root, hostPort(podIP, 9090), reachedPod(9090, hostPort(podIP, 9090))},
	})
	p.rerunConverges(t, args)
}

// TestLegacyBackend writes with iptables-legacy, then reruns with
// automatic backend choice: the rerun must find the legacy rules and
// converge there instead of adding a second copy through nf_tables.
func TestLegacyBackend(t *testing.T) {
	p := setUp(t, false, append([]string{"--iptables-backend", "legacy"}, defaultCmd...))
	p.check(t, []probe{
		{"outbound is captured", p.pod, root, hostPort(peerIP, 8080), outboundCaptured(hostPort(peerIP, 8080))},
		{"inbound is captured", p.peer, root, hostPort(podIP, 9080), inboundCaptured(hostPort(podIP, 9080))},
	})
	if got := p.backendWithRules(t); got != "legacy" {
		t.Fatalf("rules written to %q, want legacy", got)
	}
	p.rerunConverges(t, defaultCmd)
}

// TestTProxyInbound uses -m TPROXY: inbound connections reach a
// transparent socket with their destination intact (policy routing set up
// by sailplane-init), while outbound capture stays REDIRECT.
func TestTProxyInbound(t *testing.T) {
	args := []string{"-m", "TPROXY", "-b", "9080"}
	p := setUp(t, true, args)
	pod9080, pod9080v6 := hostPort(podIP, 9080), hostPort(podIP6, 9080)
	p.check(t, []probe{
		{"inbound is delivered by TPROXY", p.peer, root, pod9080, inboundTProxied(pod9080)},
		{"inbound is delivered by TPROXY (IPv6)", p.peer, root, pod9080v6, inboundTProxied(pod9080v6)},
		{"unlisted inbound port is not", p.peer, root, hostPort(podIP, 9090), reachedPod(9090, hostPort(podIP, 9090))},
		{"outbound is still captured", p.pod, root, hostPort(peerIP, 8080), outboundCaptured(hostPort(peerIP, 8080))},
		{"proxy outbound is not", p.pod, proxy, hostPort(peerIP, 8080), reachedPeer(hostPort(peerIP, 8080))},
	})
	p.rerunConverges(t, args)
}
