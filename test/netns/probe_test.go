package netns

import (
	"net"
	"strconv"
	"testing"
)

// probe is one real TCP connection and where it must land.
type probe struct {
	name   string
	from   string // namespace the client runs in
	as     who
	target string
	want   map[string]string // fields of the server's answer
}

// hostPort formats a target for either family.
func hostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

// outboundCaptured: the connection reached the outbound capture listener
// (15001) and conntrack still knows where it was going.
func outboundCaptured(target string) map[string]string {
	return map[string]string{"name": "outbound-capture", "orig": target}
}

// inboundCaptured: REDIRECT delivered it to 15006, original destination
// recoverable.
func inboundCaptured(target string) map[string]string {
	return map[string]string{"name": "inbound-capture", "orig": target}
}

// inboundTProxied: TPROXY delivered it to the transparent 15006 socket with
// the destination untouched, so the socket's own address is the original.
func inboundTProxied(target string) map[string]string {
	return map[string]string{"name": "inbound-capture", "local": target, "orig": target}
}

// reachedPeer: not captured; the real server in the peer namespace answered
// on the address the client dialled. (The peer runs no nat, so it has no
// conntrack entry to ask for an original destination.)
func reachedPeer(target string) map[string]string {
	return map[string]string{"name": "peer", "local": target}
}

// reachedPod: not captured; the pod's own listener on that port answered,
// and conntrack confirms nothing rewrote the destination.
func reachedPod(port int, target string) map[string]string {
	return map[string]string{"name": "pod-" + strconv.Itoa(port), "local": target, "orig": target}
}

// podListeners are the pod's sockets: the two capture ports, and a plain
// listener on every other port a probe uses, so a wrongly uncaptured
// connection is answered by "pod-<port>" instead of failing vaguely.
func podListeners(transparentInbound bool) []string {
	specs := listeners("outbound-capture", 15001)
	if transparentInbound {
		specs = append(specs, "inbound-capture=tcp4/0.0.0.0:15006/t", "inbound-capture=tcp6/[::]:15006/t")
	} else {
		specs = append(specs, listeners("inbound-capture", 15006)...)
	}
	for _, port := range []int{9080, 9090, 15008, 15020, 15021, 15090} {
		specs = append(specs, listeners("pod-"+strconv.Itoa(port), port)...)
	}
	return specs
}

// peerListeners answer for "the rest of the network".
var peerListeners = listeners("peer", 8080, 2525, 2626)

// check runs every probe and reports each mismatch.
func (p *pair) check(t *testing.T, probes []probe) {
	t.Helper()
	for _, pr := range probes {
		got, err := p.dial(pr.from, pr.target, pr.as)
		if err != nil {
			t.Errorf("%s: connect %s as uid %d gid %d: %v", pr.name, pr.target, pr.as.uid, pr.as.gid, err)
			continue
		}
		for k, v := range pr.want {
			if got[k] != v {
				t.Errorf("%s: connect %s as uid %d gid %d: %s = %q, want %q (answer %v)",
					pr.name, pr.target, pr.as.uid, pr.as.gid, k, got[k], v, got)
			}
		}
	}
}
