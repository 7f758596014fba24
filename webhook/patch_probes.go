package webhook

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// probeOps patches the one change the injector makes to a pod's own
// container: a probe pointed at the proxy's probe port (inject's probe
// rewriting). Only the probe's handler is touched (tcpSocket or grpc
// removed, httpGet set), so the probe's timings and any field this build
// does not know stay as the pod has them. Any other change is refused.
func probeOps(path string, before, after corev1.Container) ([]patchOp, error) {
	rest := after.DeepCopy()
	rest.LivenessProbe, rest.ReadinessProbe, rest.StartupProbe = before.LivenessProbe, before.ReadinessProbe, before.StartupProbe
	if !equality.Semantic.DeepEqual(*rest, before) {
		return nil, fmt.Errorf("the injector changed container %s", after.Name)
	}
	var ops []patchOp
	for _, p := range []struct {
		field         string
		before, after *corev1.Probe
	}{
		{"livenessProbe", before.LivenessProbe, after.LivenessProbe},
		{"readinessProbe", before.ReadinessProbe, after.ReadinessProbe},
		{"startupProbe", before.StartupProbe, after.StartupProbe},
	} {
		if equality.Semantic.DeepEqual(p.before, p.after) {
			continue
		}
		more, err := handlerOps(path+"/"+p.field, after.Name, p.before, p.after)
		if err != nil {
			return nil, err
		}
		ops = append(ops, more...)
	}
	return ops, nil
}

func handlerOps(path, container string, before, after *corev1.Probe) ([]patchOp, error) {
	if before == nil || after == nil || after.HTTPGet == nil || before.Exec != nil {
		return nil, fmt.Errorf("the injector changed container %s's probe %s beyond pointing it at the proxy", container, path)
	}
	rest := after.DeepCopy()
	rest.ProbeHandler = before.ProbeHandler
	if !equality.Semantic.DeepEqual(rest, before) {
		return nil, fmt.Errorf("the injector changed container %s's probe %s beyond its handler", container, path)
	}
	var ops []patchOp
	if before.TCPSocket != nil {
		ops = append(ops, patchOp{Op: "remove", Path: path + "/tcpSocket"})
	}
	if before.GRPC != nil {
		ops = append(ops, patchOp{Op: "remove", Path: path + "/grpc"})
	}
	// add replaces an existing httpGet (RFC 6902 4.1).
	return append(ops, patchOp{"add", path + "/httpGet", after.HTTPGet}), nil
}
