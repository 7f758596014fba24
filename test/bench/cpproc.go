package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"sync"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
)

// The control plane runs in a process of its own, as an operator runs it:
// this program re-executed with ControlPlaneFlag. Its RSS, Go heap and CPU
// are then the control plane's alone; the simulated proxies and the
// harness stay in the bench process and talk to it over loopback (xDS on
// its TLS port, and the admission webhook). The two processes speak JSON
// lines over two pipes: the bench process asks (start or stop a CPU
// profile, read the heap, the metrics or the webhook's latencies), the
// control-plane process answers, and between answers it forwards the
// reconciler's log records the report is built from.

// startWait and stopWait bound the control-plane process's start (until
// its xDS port listens) and stop. Both are generous: at 4000 services on a
// loaded 2-core machine a start-up that fills its caches, or a stop that
// closes thousands of streams, can take far longer than on an idle one.
const (
	startWait = 3 * time.Minute
	stopWait  = 2 * time.Minute
)

// ControlPlaneFlag makes sailbench serve the control plane of the bench
// process that started it: sailbench --control-plane SETTINGS.json.
const ControlPlaneFlag = "--control-plane"

// cpSettings is what the control-plane process is started with.
type cpSettings struct {
	// The API server, as envtest's admin user reaches it.
	Host                      string
	CAData, CertData, KeyData []byte
	BearerToken               string
	QPS                       float32
	Burst                     int
	XDSAddress                string
	MonitoringAddress         string
	WebhookAddress            string
	WebhookCertDir            string
	MemoryLimit               string
	PushBudgetMiB             int
	Verbose                   bool
	PeakHeapProfile           string
}

func (s cpSettings) restConfig() *rest.Config {
	return &rest.Config{
		Host: s.Host, BearerToken: s.BearerToken, QPS: s.QPS, Burst: s.Burst,
		TLSClientConfig: rest.TLSClientConfig{CAData: s.CAData, CertData: s.CertData, KeyData: s.KeyData},
	}
}

// cpRequest is one question to the control-plane process.
type cpRequest struct {
	Op      string
	Name    string // the CPU phase's
	Profile string // --cpuprofile
}

// The requests.
const (
	opCPUStart = "cpu-start"
	opCPUStop  = "cpu-stop"
	opMemory   = "steady-memory"
	opPeaks    = "peaks"
	opBusy     = "busy"
	opAuth     = "auth"
	opHooks    = "hooks"
	opReturns  = "memory-returns"
	opStop     = "stop"
)

// cpMessage is one line from the control-plane process: an answer, or a
// forwarded log record.
type cpMessage struct {
	// Answers.
	Reply  bool            `json:",omitempty"`
	Err    string          `json:",omitempty"`
	CPU    *CPUPhase       `json:",omitempty"`
	Memory *Memory         `json:",omitempty"`
	Busy   bool            `json:",omitempty"`
	Auth   *AuthCounts     `json:",omitempty"`
	Hooks  []time.Duration `json:",omitempty"`
	Count  int             `json:",omitempty"`
	// Log records.
	Reconcile *Reconcile `json:",omitempty"`
	Rejection bool       `json:",omitempty"`
	LogError  string     `json:",omitempty"`
}

// ControlPlaneProcess is the bench process's handle on the control plane.
type ControlPlaneProcess struct {
	XDSAddress string
	Started    time.Time
	cmd        *exec.Cmd
	pid        int
	toChild    *json.Encoder
	replies    chan cpMessage
	exited     chan struct{}
	mu         sync.Mutex // one request at a time
	stopRSS    chan struct{}
	// unanswered is closed once a request went unanswered for askWait:
	// the process is then treated as gone, and a late answer is dropped.
	unanswered chan struct{}
}

// askWait bounds the wait for one answer: a control plane that stops
// answering must end the run with an error, not hang it. The longest
// answer is the one to stop, after the process's own stopWait.
const askWait = stopWait + time.Minute

// SpawnControlPlane starts the control-plane process against the cluster
// and waits until its xDS port is open. Log records go into sink; abort
// ends the run when the process's RSS passes maxRSS (0: no limit).
func SpawnControlPlane(ctx context.Context, cl *Cluster, sink *captureSink, cfg Config, abort context.CancelCauseFunc) (*ControlPlaneProcess, error) {
	set, err := newSettings(cl, cfg)
	if err != nil {
		return nil, err
	}
	// The mesh CA keeps its key in the control plane's namespace.
	if err := cl.Client.Create(ctx, NamespaceObject(controlPlaneNamespace)); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("creating namespace %s: %w", controlPlaneNamespace, err)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "sailbench-cp-")
	if err != nil {
		return nil, err
	}
	path := dir + "/settings.json"
	b, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, err
	}
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	msgR, msgW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, ControlPlaneFlag, path)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	// fd 3: requests in; fd 4: messages out.
	cmd.ExtraFiles = []*os.File{reqR, msgW}
	// The control plane must not outlive the bench (which stops the API
	// server it talks to).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	_ = reqR.Close()
	_ = msgW.Close()
	defer os.RemoveAll(dir) // read by the time it listens
	p := &ControlPlaneProcess{
		XDSAddress: set.XDSAddress, Started: started, cmd: cmd, pid: cmd.Process.Pid,
		toChild: json.NewEncoder(reqW), replies: make(chan cpMessage), exited: make(chan struct{}), stopRSS: make(chan struct{}),
		unanswered: make(chan struct{}),
	}
	go p.read(msgR, sink)
	go func() { _ = cmd.Wait(); close(p.exited) }()
	// A control plane that fails to start exits: stop waiting then.
	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-p.exited:
			cancel()
		case <-waitCtx.Done():
		}
	}()
	if err := waitListening(waitCtx, set.XDSAddress, startWait); err != nil {
		p.kill()
		return nil, fmt.Errorf("the control-plane process (%v): %w", p.cmd.ProcessState, err)
	}
	go p.watchRSS(cfg.MaxRSS, abort)
	return p, nil
}

func newSettings(cl *Cluster, cfg Config) (cpSettings, error) {
	xdsAddr, err := freeAddress()
	if err != nil {
		return cpSettings{}, err
	}
	monAddr, err := freeAddress()
	if err != nil {
		return cpSettings{}, err
	}
	w := cl.Env.WebhookInstallOptions
	c := cl.Config
	return cpSettings{
		Host: c.Host, CAData: c.CAData, CertData: c.CertData, KeyData: c.KeyData, BearerToken: c.BearerToken, QPS: c.QPS, Burst: c.Burst,
		XDSAddress: xdsAddr, MonitoringAddress: monAddr,
		WebhookAddress: net.JoinHostPort(w.LocalServingHost, strconv.Itoa(w.LocalServingPort)), WebhookCertDir: w.LocalServingCertDir,
		MemoryLimit: cfg.MemoryLimit, PushBudgetMiB: cfg.PushBudgetMiB, Verbose: cfg.Verbose, PeakHeapProfile: cfg.PeakHeapProfile,
	}, nil
}

// read dispatches the child's messages: answers to the waiting request,
// log records into sink.
func (p *ControlPlaneProcess) read(r io.Reader, sink *captureSink) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for sc.Scan() {
		var m cpMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			sink.rec.addError("control-plane process: unreadable message: " + err.Error())
			continue
		}
		switch {
		case m.Reply:
			select {
			case p.replies <- m:
			case <-p.unanswered:
			}
		case m.Reconcile != nil:
			sink.rec.addReconcile(*m.Reconcile)
		case m.Rejection:
			sink.rec.addRejection()
		case m.LogError != "":
			sink.rec.addError(m.LogError)
		}
	}
}

// ask sends one request and waits for its answer.
func (p *ControlPlaneProcess) ask(req cpRequest) (cpMessage, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.unanswered:
		return cpMessage{}, fmt.Errorf("the control-plane process stopped answering (%s not sent)", req.Op)
	default:
	}
	if err := p.toChild.Encode(req); err != nil {
		return cpMessage{}, fmt.Errorf("the control-plane process: %w", err)
	}
	select {
	case m := <-p.replies:
		if m.Err != "" {
			return m, errors.New(m.Err)
		}
		return m, nil
	case <-p.exited:
		return cpMessage{}, fmt.Errorf("the control-plane process exited (%v)", p.cmd.ProcessState)
	case <-time.After(askWait):
		close(p.unanswered)
		return cpMessage{}, fmt.Errorf("the control-plane process did not answer %s within %s", req.Op, askWait)
	}
}

// CPU is the control-plane process's CPU time so far.
func (p *ControlPlaneProcess) CPU() time.Duration {
	return statCPU(fmt.Sprintf("/proc/%d/stat", p.pid))
}

// Status reads the control-plane process's VmRSS and VmHWM.
func (p *ControlPlaneProcess) Status() (rss, hwm uint64) {
	st := procStatus(fmt.Sprintf("/proc/%d/status", p.pid), "VmRSS", "VmHWM")
	return st["VmRSS"], st["VmHWM"]
}

// watchRSS stops the run when the control plane grows past limit: it must
// not take a shared machine down with it.
func (p *ControlPlaneProcess) watchRSS(limit uint64, abort context.CancelCauseFunc) {
	if limit == 0 {
		return
	}
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stopRSS:
			return
		case <-p.exited:
			return
		case <-t.C:
			// What the run takes from the machine is both processes.
			rss, _ := p.Status()
			bench := procStatus("/proc/self/status", "VmRSS")["VmRSS"]
			if rss+bench > limit {
				abort(fmt.Errorf("aborted: the control plane's RSS (%s) and the bench process's (%s) reached %s together, over --max-rss %s", mib(rss), mib(bench), mib(rss+bench), mib(limit)))
				return
			}
		}
	}
}

// Busy says whether the mesh controller has work queued or running.
func (p *ControlPlaneProcess) Busy() bool {
	m, err := p.ask(cpRequest{Op: opBusy})
	return err == nil && m.Busy
}

// Auth reads the control plane's authentication counters.
func (p *ControlPlaneProcess) Auth() AuthCounts {
	m, err := p.ask(cpRequest{Op: opAuth})
	if err != nil || m.Auth == nil {
		return AuthCounts{Reviews: map[string]int{}, Refusals: map[string]int{}}
	}
	return *m.Auth
}

// Returns reads how often the control plane has returned memory to the
// system since it started.
func (p *ControlPlaneProcess) Returns() int {
	m, _ := p.ask(cpRequest{Op: opReturns})
	return m.Count
}

// TakeHooks returns the admissions' times inside the webhook since the
// last call.
func (p *ControlPlaneProcess) TakeHooks() []time.Duration {
	m, _ := p.ask(cpRequest{Op: opHooks})
	return m.Hooks
}

// SteadyMemory reads the control plane's idle memory (after forced
// collections) and the largest holders of its live heap.
func (p *ControlPlaneProcess) SteadyMemory() (Memory, error) {
	m, err := p.ask(cpRequest{Op: opMemory})
	if err != nil || m.Memory == nil {
		return Memory{}, err
	}
	return *m.Memory, nil
}

// Peaks reads the control plane's Go heap peaks; the RSS peak is VmHWM.
func (p *ControlPlaneProcess) Peaks() (Memory, error) {
	m, err := p.ask(cpRequest{Op: opPeaks})
	if err != nil || m.Memory == nil {
		return Memory{}, err
	}
	return *m.Memory, nil
}

// Stop asks the control plane to stop and waits for the process.
func (p *ControlPlaneProcess) Stop() error {
	close(p.stopRSS)
	_, err := p.ask(cpRequest{Op: opStop})
	select {
	case <-p.exited:
	case <-time.After(stopWait + 30*time.Second):
		// The process's own wait for its manager has given up by now.
		p.kill()
		return fmt.Errorf("the control-plane process did not stop within %s", stopWait+30*time.Second)
	}
	return err
}

func (p *ControlPlaneProcess) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// phaseCPU is one phase's CPU in both processes.
type phaseCPU struct {
	p     *ControlPlaneProcess
	start time.Time
	bench time.Duration
	err   error
	// own is the bench process's profile of the phase, written next to
	// the control plane's (<phase>-bench) when profiles are asked for.
	own *os.File
}

// startPhaseCPU starts the control plane's profile of the phase.
func (p *ControlPlaneProcess) startPhaseCPU(name, prefix string) *phaseCPU {
	w := &phaseCPU{p: p, start: time.Now(), bench: processCPU()}
	_, w.err = p.ask(cpRequest{Op: opCPUStart, Name: name, Profile: prefix})
	if prefix != "" {
		if f, err := os.Create(phaseFile(prefix, name+"-bench")); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				w.own = f
			} else {
				_ = f.Close()
			}
		}
	}
	return w
}

// stop ends the phase: the control-plane process's CPU (Process) and its
// profile's split, and the bench process's CPU beside it.
func (w *phaseCPU) stop() CPUPhase {
	bench := processCPU() - w.bench
	if w.own != nil {
		pprof.StopCPUProfile()
		_ = w.own.Close()
	}
	var c CPUPhase
	if w.err == nil {
		if m, err := w.p.ask(cpRequest{Op: opCPUStop}); err == nil && m.CPU != nil {
			c = *m.CPU
		}
	}
	c.Wall, c.Bench = time.Since(w.start), bench
	_, c.HWM = w.p.Status()
	return c
}

// steadyMemory reads the idle control plane's memory, keeping the peaks
// already sampled, and the bench process's RSS beside it.
func (r *Run) steadyMemory() error {
	returns := r.cp.Returns()
	m, err := r.cp.SteadyMemory()
	if err != nil {
		return err
	}
	// The collections SteadyMemory forces find what the control plane
	// dropped while idle, as the runtime's two-minute forced collection
	// does in a deployment; the steady RSS is what remains once the
	// returner has had an interval to give that back. It is read after
	// the wait whether or not the returner acted: the runtime's own
	// scavenger may have returned the memory first (leaving the returner
	// too little to act on), and the reading taken right after the
	// collections, before either, is not a steady one.
	r.cp.awaitReturns(returns, returnWait)
	m.RSS, _ = r.cp.Status()
	keep := r.res.Memory
	m.PeakLive, m.PeakHeapInuse, m.PeakHeapAlloc = keep.PeakLive, keep.PeakHeapInuse, keep.PeakHeapAlloc
	m.BeforeControlPlane = keep.BeforeControlPlane
	st := procStatus("/proc/self/status", "VmRSS", "VmHWM")
	m.BenchRSS, m.BenchHWM = st["VmRSS"], st["VmHWM"]
	r.res.Memory = m
	return nil
}
