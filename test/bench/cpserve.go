package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
)

// ServeControlPlane is the control-plane process: it starts the control
// plane from the settings file and answers the bench process's requests
// on fd 3 (requests) and fd 4 (answers and log records) until asked to
// stop or the bench process goes.
func ServeControlPlane(ctx context.Context, settingsPath string) error {
	raw, err := os.ReadFile(settingsPath)
	if err != nil {
		return err
	}
	var set cpSettings
	if err := json.Unmarshal(raw, &set); err != nil {
		return fmt.Errorf("%s: %w", settingsPath, err)
	}
	inControlPlaneProcess = true
	requests, out := os.NewFile(3, "requests"), os.NewFile(4, "messages")
	if requests == nil || out == nil {
		return errors.New("no request and message pipes (fd 3 and 4): sailbench starts this itself")
	}
	var mu sync.Mutex
	enc := json.NewEncoder(out)
	send := func(m cpMessage) {
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(m)
	}
	var verbose io.Writer
	if set.Verbose {
		verbose = os.Stderr
	}
	sink := newCaptureSink(verbose)
	sink.rec.forward = send
	mw := watchMemory(0, nil)
	defer mw.close()
	go watchPeakHeap(set.PeakHeapProfile, mw.stop)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cp, err := StartControlPlane(ctx, set, sink)
	if err != nil {
		return err
	}
	h := &cpHandler{cp: cp, mw: mw}
	dec := json.NewDecoder(requests)
	for {
		var req cpRequest
		if err := dec.Decode(&req); err != nil {
			// The bench process is gone: stop.
			return errors.Join(cp.Stop(), ignoreEOF(err))
		}
		m := h.handle(req)
		m.Reply = true
		send(m)
		if req.Op == opStop {
			return nil
		}
	}
}

func ignoreEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// inControlPlaneProcess is set in the control-plane process: nothing there
// is the simulated proxies' (see proxySide).
var inControlPlaneProcess bool

type cpHandler struct {
	cp  *ControlPlane
	mw  *memoryWatch
	cpu *cpuWindow
}

func (h *cpHandler) handle(req cpRequest) cpMessage {
	var m cpMessage
	switch req.Op {
	case opCPUStart:
		h.cpu = startCPU(req.Name, req.Profile)
	case opCPUStop:
		if h.cpu == nil {
			m.Err = "no CPU profile running"
			break
		}
		c := h.cpu.stop()
		h.cpu, m.CPU = nil, &c
	case opMemory:
		var mem Memory
		steadyMemory(&mem)
		m.Memory = &mem
	case opPeaks:
		p := h.mw.peaks()
		m.Memory = &p
	case opBusy:
		m.Busy = meshBusy()
	case opAuth:
		a := readAuthCounts()
		m.Auth = &a
	case opReturns:
		m.Count = memoryReturns()
	case opHooks:
		m.Hooks = h.cp.Hooks.take()
	case opStop:
		if err := h.cp.Stop(); err != nil {
			m.Err = err.Error()
		}
	default:
		m.Err = "unknown request " + strconv.Quote(req.Op)
	}
	return m
}
