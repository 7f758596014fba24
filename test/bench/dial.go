package bench

import (
	"context"
	"net"
	"sync"
)

// readBufferSize is how much a simulated proxy's connection reads from its
// socket at once. TLS reads a record (16 KiB) per read otherwise, and the
// 230 000 reads of a mass connect's 3.6 GiB were the largest single cost
// of the simulated side, on the cores the control plane is measured on.
// An Envoy reads its socket in large slices too; what the control plane
// sends is the same.
const readBufferSize = 256 << 10

// readBufs lend buffers to connections only while they hold unread bytes:
// with a connection per proxy, 2000 buffers of their own were 500 MiB the
// reads went through cold.
var readBufs = sync.Pool{New: func() any { b := make([]byte, readBufferSize); return &b }}

// dialBuffered connects over TCP and reads the socket through a buffer.
func dialBuffered(ctx context.Context, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &bufferedConn{Conn: c}, nil
}

// bufferedConn is a connection whose reads go through a borrowed buffer.
// One goroutine reads it (TLS serialises its reads).
type bufferedConn struct {
	net.Conn
	buf  *[]byte // nil when nothing read is left
	r, w int
}

func (c *bufferedConn) Read(p []byte) (int, error) {
	if c.buf == nil {
		if len(p) >= readBufferSize {
			return c.Conn.Read(p)
		}
		buf := readBufs.Get().(*[]byte)
		n, err := c.Conn.Read(*buf)
		if n == 0 {
			readBufs.Put(buf)
			return 0, err
		}
		c.buf, c.r, c.w = buf, 0, n
	}
	n := copy(p, (*c.buf)[c.r:c.w])
	c.r += n
	if c.r == c.w {
		readBufs.Put(c.buf)
		c.buf = nil
	}
	return n, nil
}
