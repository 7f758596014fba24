package netns

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary doubles as the helper processes that run inside the
// namespaces: `ip netns exec NS <test binary>` with envRole set runs one of
// the roles below instead of the tests.
const (
	envRole   = "SAILPLANE_NETNS_ROLE"   // "serve" or "dial"
	envListen = "SAILPLANE_NETNS_LISTEN" // serve: name=network/address[/t];...
	envTarget = "SAILPLANE_NETNS_TARGET" // dial: host:port
	envUID    = "SAILPLANE_NETNS_UID"    // dial: run as this UID
	envGID    = "SAILPLANE_NETNS_GID"    // dial: run as this GID
)

// runRole runs the helper role named in the environment and exits.
func runRole(role string) {
	var err error
	switch role {
	case "serve":
		err = serve(os.Getenv(envListen))
	case "dial":
		err = dial()
	case "probe-app":
		err = probeApp()
	case "probe-proxy":
		err = probeProxy()
	case "http-get":
		err = httpGet()
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", role, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// serve listens on every spec, prints "ready", and answers each connection
// with one line naming the listener, the connection's local address and its
// SO_ORIGINAL_DST ("-" when conntrack has no entry for it). A spec ending in /t
// is a transparent socket, what TPROXY delivers to.
func serve(specs string) error {
	for _, spec := range strings.Split(specs, ";") {
		name, rest, _ := strings.Cut(spec, "=")
		parts := strings.Split(rest, "/")
		network, addr := parts[0], parts[1]
		ln, err := listen(network, addr, len(parts) > 2 && parts[2] == "t")
		if err != nil {
			return fmt.Errorf("listen %s %s: %w", network, addr, err)
		}
		go accept(ln, name, network == "tcp6")
	}
	fmt.Println("ready")
	select {}
}

func listen(network, addr string, transparent bool) (net.Listener, error) {
	lc := net.ListenConfig{}
	if transparent {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				if network == "tcp6" {
					serr = unix.SetsockoptInt(int(fd), unix.SOL_IPV6, unix.IPV6_TRANSPARENT, 1)
				} else {
					serr = unix.SetsockoptInt(int(fd), unix.SOL_IP, unix.IP_TRANSPARENT, 1)
				}
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	return lc.Listen(context.Background(), network, addr)
}

func accept(ln net.Listener, name string, ipv6 bool) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		orig := "-"
		if ap, err := originalDst(c.(*net.TCPConn), ipv6); err == nil {
			orig = ap.String()
		}
		fmt.Fprintf(c, "name=%s local=%s orig=%s\n", name, c.LocalAddr(), orig)
		_ = c.Close()
	}
}

// dial connects to the target and prints the server's line. When asked to
// run as another user it first re-executes itself with those credentials:
// the child stays in this network namespace, and the kernel's owner match
// sees the socket's creator.
func dial() error {
	uid, gid := os.Getenv(envUID), os.Getenv(envGID)
	if uid != "" && strconv.Itoa(os.Getuid()) != uid {
		return reexecAs(uid, gid)
	}
	c, err := net.DialTimeout("tcp", os.Getenv(envTarget), 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading the banner: %w", err)
	}
	fmt.Printf("uid=%d gid=%d %s", os.Getuid(), os.Getgid(), line)
	return nil
}

func reexecAs(uid, gid string) error {
	u, err := strconv.ParseUint(uid, 10, 32)
	if err != nil {
		return err
	}
	g, err := strconv.ParseUint(gid, 10, 32)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uint32(u), Gid: uint32(g), Groups: []uint32{}},
		// A long-running role's child must not outlive the helper the
		// test kills.
		Pdeathsig: syscall.SIGKILL,
	}
	return cmd.Run()
}
