package bench

import (
	"testing"

	"k8s.io/client-go/util/workqueue"
	_ "sigs.k8s.io/controller-runtime/pkg/metrics" // its workqueue metrics provider
)

// meshBusy sees the mesh controller's queue through controller-runtime's
// own gauge: an item queued makes it busy, the item done makes it idle.
func TestMeshBusyReadsTheMeshQueue(t *testing.T) {
	if meshBusy() {
		t.Fatal("busy before any queue exists")
	}
	q := workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "mesh"})
	defer q.ShutDown()
	q.Add("mesh")
	if !meshBusy() {
		t.Fatal("an item is queued for the mesh controller, and meshBusy says idle")
	}
	item, _ := q.Get()
	q.Done(item)
	if meshBusy() {
		t.Fatal("the mesh controller's queue is empty, and meshBusy says busy")
	}
}
