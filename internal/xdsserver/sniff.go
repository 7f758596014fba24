package xdsserver

import (
	"bufio"
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// tlsRecordHandshake is the first byte of every TLS connection (a
// handshake record); a gRPC client without TLS starts with "PRI *".
const tlsRecordHandshake = 0x16

// sniffTimeout bounds how long a connection may stay silent before its
// first byte: a client that never speaks holds no goroutine for long.
const sniffTimeout = 10 * time.Second

// splitTLS accepts connections on lis and hands each to one of two
// listeners by its first byte: TLS, or anything else.
func splitTLS(ctx context.Context, lis net.Listener) (tlsConns, plainConns net.Listener) {
	t, p := newChanListener(lis.Addr()), newChanListener(lis.Addr())
	go func() {
		<-ctx.Done()
		_ = lis.Close()
	}()
	go func() {
		defer t.close()
		defer p.close()
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			go route(c, t, p)
		}
	}()
	return t, p
}

func route(c net.Conn, t, p *chanListener) {
	_ = c.SetReadDeadline(time.Now().Add(sniffTimeout))
	r := bufio.NewReader(c)
	first, err := r.Peek(1)
	_ = c.SetReadDeadline(time.Time{})
	if err != nil {
		_ = c.Close()
		return
	}
	pc := &peekedConn{Conn: c, r: r}
	if first[0] == tlsRecordHandshake {
		t.push(pc)
		return
	}
	p.push(pc)
}

// peekedConn replays what was peeked before the rest of the connection.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// chanListener is a net.Listener fed by splitTLS.
type chanListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) push(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		_ = c.Close()
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, errors.New("listener closed")
	}
}

func (l *chanListener) close()         { l.once.Do(func() { close(l.done) }) }
func (l *chanListener) Close() error   { l.close(); return nil }
func (l *chanListener) Addr() net.Addr { return l.addr }
