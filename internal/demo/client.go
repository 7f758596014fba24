package demo

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
	_ "google.golang.org/grpc/xds" // the xds:/// resolver
)

// HasBootstrap reports whether grpc-go will find a bootstrap. grpc-go reads
// the variables when the process starts, so a process without one must
// re-execute itself with BootstrapEnv set.
func HasBootstrap() bool {
	return os.Getenv(BootstrapEnv) != "" || os.Getenv("GRPC_XDS_BOOTSTRAP") != ""
}

// Call dials target and makes count calls (0: until ctx ends), one per
// interval, printing each answer; it returns the tally of answers.
func Call(ctx context.Context, target string, count int, interval time.Duration, out io.Writer) (map[string]int, error) {
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	c := testgrpc.NewTestServiceClient(conn)
	tally := map[string]int{}
	for i := 0; count == 0 || i < count; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return tally, nil
			case <-time.After(interval):
			}
		}
		answer := callOnce(ctx, c)
		tally[answer]++
		fmt.Fprintf(out, "call %d: %s\n", i+1, answer)
	}
	return tally, nil
}

func callOnce(ctx context.Context, c testgrpc.TestServiceClient) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := c.UnaryCall(ctx, &testgrpc.SimpleRequest{})
	if err != nil {
		return "error " + status.Code(err).String()
	}
	return resp.ServerId
}

// FormatTally renders a tally sorted by answer.
func FormatTally(t map[string]int) string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := ""
	for _, k := range keys {
		s += fmt.Sprintf("%s: %d  ", k, t[k])
	}
	return s
}
