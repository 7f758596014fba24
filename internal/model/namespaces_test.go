package model

import (
	"reflect"
	"testing"
)

// The model reads nothing of Namespace objects: the mesh controller
// answers a Namespace-only change with the pod path (controllers'
// podChurn), which is right only while this holds.
func TestNamespacesDoNotChangeTheModel(t *testing.T) {
	without := Build(decode(t, reviewsService))
	with := Build(decode(t, reviewsService, `
apiVersion: v1
kind: Namespace
metadata: {name: default, labels: {istio-injection: enabled, topology.istio.io/network: other}}`, `
apiVersion: v1
kind: Namespace
metadata: {name: elsewhere}`))
	if !reflect.DeepEqual(without, with) {
		t.Fatal("a Namespace object changed the model: the Namespace-only pod path (controllers/computation.go) must compare it")
	}
}
