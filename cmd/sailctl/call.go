package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sailplane/sailplane/internal/demo"
)

const callUsage = `usage: sailctl x call [xds:///HOST:PORT] [--count N] [--interval D]

A proxyless gRPC client calling a service through xDS (default: the local
demo's reviews service).

Flags:
`

// callCmd: sailctl x call TARGET [--count N] [--interval D] — a proxyless
// gRPC client calling the demo service through xDS.
func callCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sailctl x call", flag.ContinueOnError)
	xdsAddr := fs.String("xds-address", "127.0.0.1:15010", "the control plane's ADS address")
	count := fs.Int("count", 20, "calls to make; 0 calls until interrupted")
	interval := fs.Duration("interval", 0, "pause between calls (default 1s with --count 0, none otherwise)")
	target := demo.Target
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		target, args = args[0], args[1:]
	}
	if code, ok := parseFlags(fs, callUsage, args, stdout, stderr); !ok {
		return code
	}
	if *count == 0 && *interval == 0 {
		*interval = time.Second
	}
	if !demo.HasBootstrap() {
		// grpc-go reads its bootstrap at start-up: run again with it set.
		env := append(os.Environ(), demo.BootstrapEnv+"="+demo.BootstrapFor(*xdsAddr, "sailctl", demo.Namespace))
		err := syscall.Exec("/proc/self/exe", os.Args, env)
		fmt.Fprintln(stderr, "error: re-executing with the xDS bootstrap:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	tally, err := demo.Call(ctx, target, *count, *interval, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	fmt.Fprintln(stdout, "answers:", demo.FormatTally(tally))
	return 0
}
