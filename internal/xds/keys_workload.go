package xds

import (
	"sort"
	"strconv"
	"strings"
)

// WorkloadKey is what an Envoy sidecar's group translation reads of its
// pod beside its GroupInput (labels, namespace, locality): whether it has
// a pod at all (a node configured from its metadata has none, so no
// inbound half), the pod's named container ports (the inbound half's
// target ports, targetPortOf) and, when no label names the workload's
// service, the pod's name (the tracer's service name, serviceName).
// Compute gives every proxy of a group the translation of its first, so
// reusing a group's translation for another pod is right only when their
// WorkloadKeys are equal.
func WorkloadKey(p Proxy) string {
	w := p.Workload
	if w == nil {
		return "-"
	}
	ports := make([]string, 0, len(w.ContainerPorts))
	for name, n := range w.ContainerPorts {
		ports = append(ports, strconv.Quote(name)+"="+strconv.FormatUint(uint64(n), 10))
	}
	sort.Strings(ports)
	k := "ports=" + strings.Join(ports, ",")
	if serviceName(p) == w.Ref.Name+"."+p.Namespace {
		k += "|pod=" + strconv.Quote(w.Ref.Name)
	}
	return k
}
