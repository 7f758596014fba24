package xdsserver

import (
	"bytes"
	"net"
	"testing"
)

// What TLS writes while a write is held reaches the socket in order, in
// one write, on release; other writes go straight through.
func TestGatheredWritesReachTheSocketInOrder(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	g := &gatheringConn{Conn: server}
	got := make(chan []byte, 3)
	go func() {
		for {
			b := make([]byte, 64)
			n, err := client.Read(b)
			if err != nil {
				close(got)
				return
			}
			got <- b[:n]
		}
	}()
	if _, err := g.Write([]byte("direct")); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "direct" {
		t.Fatalf("an unheld write arrived as %q", b)
	}
	g.hold()
	for _, p := range []string{"one|", "two|", "three"} {
		if n, err := g.Write([]byte(p)); err != nil || n != len(p) {
			t.Fatalf("held write: %d, %v", n, err)
		}
	}
	if err := g.release(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, []byte("one|two|three")) {
		t.Errorf("held writes arrived as %q, want them together and in order", b)
	}
	_ = server.Close()
	if _, ok := <-got; ok {
		t.Error("nothing more was written")
	}
	if err := (&gatheringConn{Conn: server, holding: true, buf: &[]byte{'x'}}).release(); err == nil {
		t.Error("a failed socket write must be reported on release")
	}
}
