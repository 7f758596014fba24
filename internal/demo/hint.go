package demo

import (
	"fmt"
	"net"
	"strings"
)

// Addresses are where this control plane listens, as its flags say
// (--xds-address, --monitoring-address); the hint's commands dial them.
type Addresses struct {
	XDS, Monitoring string
}

// Hint tells the user what to try, with sailctl pointed at this control
// plane (never at the defaults, which may be another instance).
func (m *Mesh) Hint(kubeconfig string, at Addresses) string {
	xds := "--xds-address " + DialAddress(at.XDS)
	var b strings.Builder
	fmt.Fprintf(&b, hintIntro, Namespace, Host, Port, m.backends[0].port, m.backends[1].port, Target, xds, kubeconfig)
	monitoring, on := monitoringFlag(at.Monitoring)
	if on {
		fmt.Fprintf(&b, "  go run ./cmd/sailctl proxy-status %s\n", monitoring)
		fmt.Fprintf(&b, "  go run ./cmd/sailctl dashboard %s  # the mesh console: open the URL it prints\n", monitoring)
	}
	fmt.Fprintf(&b, hintApply, Namespace, Host, Host, Host)
	if on {
		fmt.Fprintf(&b, "  go run ./cmd/sailctl proxy-config route %s %s\n", ProxyName, monitoring)
	}
	fmt.Fprintf(&b, "  go run ./cmd/sailctl x call %s --count 20 %s  # about half now answer v2\n", Target, xds)
	if !on {
		b.WriteString("\n(--monitoring-address 0: no proxy-status or proxy-config for this instance)\n")
	}
	b.WriteString("\n")
	return b.String()
}

// ProxyName is how sailctl x call's client shows in proxy-status: pod
// "sailctl" in the demo namespace.
const ProxyName = "sailctl." + Namespace

// DialAddress turns a listen address into one a client on this machine
// dials: an empty or unspecified host (":15010", "0.0.0.0:15010",
// "[::]:15010") becomes loopback; anything else is kept.
func DialAddress(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// monitoringFlag is sailctl's flag for the monitoring address, and whether
// the port is on at all ("0" turns it off, as for controller-runtime).
func monitoringFlag(listen string) (string, bool) {
	if listen == "" || listen == "0" {
		return "", false
	}
	return "--monitoring-address " + DialAddress(listen), true
}

const hintIntro = `
Demo mesh in namespace %q: %s:%d is served by two gRPC servers,
v1 on 127.0.0.1:%d and v2 on 127.0.0.1:%d. Its VirtualService sends
everything to v1. In another terminal, from this directory:

  go run ./cmd/sailctl x call %s --count 0 %s  # calls through xDS every second

and in a third:

  export KUBECONFIG=%s
`

const hintApply = `  kubectl apply -f - <<'EOF'
  apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata: {name: reviews, namespace: %s}
  spec:
    hosts: [%s]
    http:
    - route:
      - {destination: {host: %s, subset: v1}, weight: 50}
      - {destination: {host: %s, subset: v2}, weight: 50}
  EOF
`
