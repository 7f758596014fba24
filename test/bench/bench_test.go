package bench

import (
	"testing"

	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

// referenceSpec is Istio's reference mesh: 1000 services, 2000 pods.
var referenceSpec = Spec{Services: 1000, Namespaces: 20, Seed: 1, RuleShare: 0.3}

// TestSyntheticMeshTranslates is the quick check `go test ./...` runs: a
// small synthetic mesh builds, every pod's proxy gets a consistent
// configuration with a cluster per service, and the rules are accepted.
func TestSyntheticMeshTranslates(t *testing.T) {
	m := NewMesh(Spec{Services: 40, Namespaces: 4, Seed: 7, RuleShare: 0.3})
	if again := NewMesh(m.Spec); again.Pods[17].IP != m.Pods[17].IP || again.Services[9].Subsets != m.Services[9].Subsets {
		t.Fatal("the same spec gave a different mesh")
	}
	mod := model.Build(m.Bundle())
	for _, ref := range mod.Status.Objects() {
		if probs := mod.Status.Problems(ref); len(probs) > 0 {
			t.Errorf("%s: %v", ref, probs)
		}
	}
	for _, p := range []*Pod{m.Pods[0], m.Pods[len(m.Pods)-1]} {
		res := xds.Generate(mod, ProxyFor(mod, p))
		for _, err := range xds.CheckConsistency(res) {
			t.Errorf("%s: %v", p.Name, err)
		}
		if len(res.Clusters) < len(m.Services) {
			t.Errorf("%s: %d clusters for %d services", p.Name, len(res.Clusters), len(m.Services))
		}
	}
	if got := len(m.WithRules()); got == 0 || got == len(m.Services) {
		t.Errorf("%d of %d services have rules; want a mix", got, len(m.Services))
	}
}

// BenchmarkModelBuild is stage [2] at the reference size.
func BenchmarkModelBuild(b *testing.B) {
	bu := NewMesh(referenceSpec).Bundle()
	b.ReportAllocs()
	cpu := meterCPU()
	for b.Loop() {
		model.Build(bu)
	}
	cpu.report(b)
}

// BenchmarkTranslateGroup is stage [3] for one proxy group on its own (a
// pod of a service with subsets) at the reference size: xds.Generate,
// both halves.
func BenchmarkTranslateGroup(b *testing.B) {
	m := NewMesh(referenceSpec)
	mod := model.Build(m.Bundle())
	p := ProxyFor(mod, m.WithRules()[0].Pods[0])
	b.ReportAllocs()
	for b.Loop() {
		xds.Generate(mod, p)
	}
}

// BenchmarkComputeMesh is one full reconcile's translation at the
// reference size: mesh.Compute for 2000 sidecars, one per pod, sharing
// what groups share.
func BenchmarkComputeMesh(b *testing.B) {
	m := NewMesh(referenceSpec)
	bu := m.Bundle()
	nodes := meshNodes(m, len(m.Pods))
	b.ReportAllocs()
	cpu := meterCPU()
	for b.Loop() {
		mesh.Compute(bu, nodes)
	}
	cpu.report(b)
}

// BenchmarkSnapshots is publishing one full reconcile's result: one
// snapshot per group through one xdsserver.Builder, as the reconciler does.
func BenchmarkSnapshots(b *testing.B) {
	m := NewMesh(referenceSpec)
	res := mesh.Compute(m.Bundle(), meshNodes(m, len(m.Pods)))
	b.ReportAllocs()
	for b.Loop() {
		builder := xdsserver.NewBuilder()
		done := map[*xds.Resources]bool{}
		for _, rs := range res.Resources {
			if done[rs] {
				continue
			}
			done[rs] = true
			if _, err := builder.Snapshot(rs); err != nil {
				b.Fatal(err)
			}
		}
	}
}
