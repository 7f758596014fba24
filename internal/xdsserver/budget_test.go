package xdsserver

import (
	"testing"
	"time"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

func TestPushBudgetWaitsForRoomAndGivesItBack(t *testing.T) {
	b := newPushBudget(3*budgetFrom, time.Minute)
	release := b.take(2 * budgetFrom)
	got := make(chan func(), 1)
	go func() { got <- b.take(2 * budgetFrom) }()
	select {
	case <-got:
		t.Fatal("a second large response must wait while the budget is spent")
	case <-time.After(50 * time.Millisecond):
	}
	if free := b.take(budgetFrom - 1); free == nil {
		t.Fatal("small responses pass freely")
	}
	release()
	release() // giving back twice must not make room twice
	select {
	case r := <-got:
		r()
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting response must go once room is given back")
	}
	if !b.sem.TryAcquire(3 * budgetFrom) {
		t.Error("all room must be back")
	}
}

func TestPushBudgetSendsAnywayAfterTheWait(t *testing.T) {
	b := newPushBudget(budgetFrom, 20*time.Millisecond)
	b.take(budgetFrom) // never given back: a proxy that stopped reading
	start := time.Now()
	b.take(budgetFrom)()
	if waited := time.Since(start); waited < 20*time.Millisecond || waited > 5*time.Second {
		t.Errorf("waited %s; want about the bounded wait", waited)
	}
}

// An encoded response holds its room until gRPC frees the buffer.
func TestEncodedResponseHoldsRoomUntilFreed(t *testing.T) {
	b := newPushBudget(4*budgetFrom, time.Minute)
	big := &anypb.Any{TypeUrl: resource.ClusterType, Value: make([]byte, 2*budgetFrom)}
	out, err := newWireCodec(b).Marshal(&discoveryv3.DiscoveryResponse{Resources: []*anypb.Any{big}, TypeUrl: resource.ClusterType})
	if err != nil {
		t.Fatal(err)
	}
	if b.sem.TryAcquire(3 * budgetFrom) {
		t.Fatal("an encoded response must hold its share of the budget")
	}
	out.Free()
	if !b.sem.TryAcquire(4 * budgetFrom) {
		t.Error("freeing the buffer must give the room back")
	}
}

// A body shared by several streams counts once, until its last send is
// written.
func TestSharedBodyCountsOnce(t *testing.T) {
	b := newPushBudget(4*budgetFrom, time.Minute)
	// As a real body: small framing first, then a resource's large bytes.
	enc := assemble(make([]byte, 10), []*chunk{{parts: [][]byte{make([]byte, 2*budgetFrom-10)}}}, nil, "", 0)
	enc.budget = b
	c := newWireCodec(b)
	one, _ := c.Marshal(&outgoing{enc: enc, nonce: "1", nonceField: sotwNonce})
	two, _ := c.Marshal(&outgoing{enc: enc, nonce: "2", nonceField: sotwNonce})
	if !b.sem.TryAcquire(2 * budgetFrom) {
		t.Fatal("two sends of one body must hold its size once")
	}
	b.sem.Release(2 * budgetFrom)
	one.Free()
	if b.sem.TryAcquire(3 * budgetFrom) {
		t.Fatal("the body is still being sent: its room must stay taken")
	}
	two.Free()
	if !b.sem.TryAcquire(4 * budgetFrom) {
		t.Error("the last send written must give the room back")
	}
}
