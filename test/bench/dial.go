package bench

import (
	"bufio"
	"context"
	"net"
)

// readBufferSize is how much a simulated proxy's connection reads from its
// socket at once. TLS reads a record (16 KiB) per read otherwise, and the
// 230 000 reads of a mass connect's 3.6 GiB were the largest single cost
// of the simulated side, on the cores the control plane is measured on.
// An Envoy reads its socket in large slices too; what the control plane
// sends is the same.
const readBufferSize = 256 << 10

// dialBuffered connects over TCP and reads the socket through a buffer.
func dialBuffered(ctx context.Context, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &bufferedConn{Conn: c, r: bufio.NewReaderSize(c, readBufferSize)}, nil
}

// bufferedConn is a connection whose reads go through r.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
