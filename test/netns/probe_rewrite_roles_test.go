package netns

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/inject"
	"github.com/sailplane/sailplane/internal/xds/simulate"
)

// Environment of the probe roles.
const (
	envBootstrap = "SAILPLANE_NETNS_BOOTSTRAP" // probe-proxy: file with the rendered bootstrap
	envURL       = "SAILPLANE_NETNS_URL"       // http-get: URL to fetch
	envHeaders   = "SAILPLANE_NETNS_HEADERS"   // http-get: name=value;...
)

// Ports of the probed application in the pod namespace.
const (
	appHTTPPort   = 8080 // HTTP: /healthz answers 200 with what it saw
	appTCPPort    = 9090 // TCP: accepts
	appClosedPort = 9091 // nothing listens
	appGRPCPort   = 9092 // grpc.health.v1: "up" SERVING, "down" NOT_SERVING
)

// probeApp is the application: it answers /healthz with 200 and one line
// saying what reached it (path with query, the X-Probe header, its own
// address and the client's), every other path with 500.
func probeApp() error {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.Error(w, "not a health path", http.StatusInternalServerError)
			return
		}
		local := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		fmt.Fprintf(w, "app path=%s probe=%s local=%s remote=%s\n", r.URL.RequestURI(), r.Header.Get("X-Probe"), local, r.RemoteAddr)
	})
	httpLn, err := net.Listen("tcp4", hostPort("0.0.0.0", appHTTPPort))
	if err != nil {
		return err
	}
	go func() { _ = http.Serve(httpLn, mux) }()
	tcpLn, err := net.Listen("tcp4", hostPort("0.0.0.0", appTCPPort))
	if err != nil {
		return err
	}
	go func() {
		for {
			c, err := tcpLn.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	grpcLn, err := net.Listen("tcp4", hostPort("0.0.0.0", appGRPCPort))
	if err != nil {
		return err
	}
	hs := health.NewServer()
	hs.SetServingStatus("up", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("down", healthpb.HealthCheckResponse_NOT_SERVING)
	gs := grpc.NewServer()
	healthpb.RegisterHealthServer(gs, hs)
	go func() { _ = gs.Serve(grpcLn) }()
	fmt.Println("ready")
	select {}
}

// probeProxy stands in for Envoy, which cannot run here: running as the
// proxy's UID and GID (envUID, envGID), it listens where the bootstrap's probe listener does and
// does with each request exactly what simulate.BootstrapHTTP says Envoy's
// configuration does: forward it to the cluster's endpoint with the
// rewritten path and the kubelet's headers, or answer from a check of the
// cluster's kind (run per request here; Envoy runs it every period).
func probeProxy() error {
	uid, gid := os.Getenv(envUID), os.Getenv(envGID)
	if strconv.Itoa(os.Getuid()) != uid || strconv.Itoa(os.Getgid()) != gid {
		return reexecAs(uid, gid)
	}
	text, err := os.ReadFile(os.Getenv(envBootstrap))
	if err != nil {
		return err
	}
	b, err := inject.ParseBootstrap(string(text))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp4", hostPort("0.0.0.0", defaults.AppProbePort))
	if err != nil {
		return err
	}
	fmt.Println("ready")
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, err := simulate.BootstrapHTTP(b, defaults.AppProbePort, r.URL.RequestURI())
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		if !route.Forward {
			w.WriteHeader(checkUpstream(route))
			return
		}
		forward(w, r, route)
	}))
}

func forward(w http.ResponseWriter, r *http.Request, route simulate.StaticHTTP) {
	scheme := "http"
	if route.TLS {
		scheme = "https"
	}
	ctx, cancel := context.WithTimeout(r.Context(), route.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+route.Upstream+route.Path, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header = r.Header.Clone()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable) // Envoy: 503 upstream connect error
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// checkUpstream is the health_check filter's answer: 200 when the
// cluster's one endpoint passes the cluster's check, 503 otherwise.
func checkUpstream(route simulate.StaticHTTP) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	switch route.HealthCheck {
	case "tcp":
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", route.Upstream)
		if err != nil {
			return http.StatusServiceUnavailable
		}
		_ = c.Close()
		return http.StatusOK
	case "grpc":
		conn, err := grpc.NewClient(route.Upstream, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return http.StatusServiceUnavailable
		}
		defer conn.Close()
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: route.GRPCService})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	return http.StatusServiceUnavailable
}

// httpGet is the kubelet: one GET with the probe's headers, printing
// "status=<code> <body>".
func httpGet() error {
	req, err := http.NewRequest(http.MethodGet, os.Getenv(envURL), nil)
	if err != nil {
		return err
	}
	for _, h := range strings.Split(os.Getenv(envHeaders), ";") {
		if name, value, ok := strings.Cut(h, "="); ok {
			req.Header.Set(name, value)
		}
	}
	req.Header.Set("User-Agent", "kube-probe/sailplane-test")
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Printf("status=%d %s", resp.StatusCode, body)
	return nil
}
