package manager

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	ctrlmanager "sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/sailplane/sailplane/controllers"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

// newXDS builds the ADS server early, so its debug endpoints can join the
// monitoring port's handlers.
func newXDS(log logr.Logger, pushBudgetMiB int, loadReportInterval time.Duration) *xdsserver.Server {
	opts := xdsserver.DefaultOptions()
	opts.LoadReportInterval = loadReportInterval
	opts.Registerer = ctrlmetrics.Registry
	opts.PushBudget = int64(pushBudgetMiB) << 20
	return xdsserver.New(context.Background(), log.WithName("xds"), opts)
}

func debugHandlers(s *xdsserver.Server) map[string]http.Handler {
	return map[string]http.Handler{
		xdsserver.ProxyStatusPath: s.ProxyStatusHandler(),
		xdsserver.ConfigDumpPath:  s.ConfigDumpHandler(),
		xdsserver.SynczPath:       s.SynczHandler(),
	}
}

// addMesh adds the ADS server (the plaintext port when opts.XDSAddress is
// set; the authenticated port through trust), the mesh controller and the
// status writer (with its own leader election when opts.LeaderElect: see
// leaderOnly).
func addMesh(m ctrlmanager.Manager, s *xdsserver.Server, t *trust, opts Options, log logr.Logger, onReconcile func(*bundle.Bundle, []mesh.Node, *mesh.Result)) error {
	if opts.XDSAddress != "" {
		if err := m.Add(&xdsRunnable{server: s, addr: opts.XDSAddress}); err != nil {
			return err
		}
	}
	status := &controllers.StatusWriter{Client: m.GetClient(), Log: log.WithName("status")}
	var writer ctrlmanager.Runnable = status
	if opts.LeaderElect {
		writer = &leaderOnly{cfg: m.GetConfig(), namespace: opts.Namespace, id: opts.LeaderElectionID, work: status, log: log.WithName("leader")}
	}
	if err := m.Add(writer); err != nil {
		return err
	}
	meshConfig, err := meshConfigReader(m, opts.Namespace, opts.TrustDomain, log)
	if err != nil {
		return err
	}
	r := &controllers.MeshReconciler{Client: m.GetClient(), Server: s, Status: status, Log: log.WithName("mesh"), MeshConfig: meshConfig, Requests: loadReports(s), OnReconcile: onReconcile}
	if err := t.add(m, s, r); err != nil {
		return err
	}
	return r.SetupWithManager(m)
}

// xdsRunnable serves ADS on every replica, leader or not.
type xdsRunnable struct {
	server *xdsserver.Server
	addr   string
}

func (x *xdsRunnable) NeedLeaderElection() bool { return false }

func (x *xdsRunnable) Start(ctx context.Context) error {
	lis, err := net.Listen("tcp", x.addr)
	if err != nil {
		return fmt.Errorf("xDS address %q: %w", x.addr, err)
	}
	return x.server.Serve(ctx, lis)
}
