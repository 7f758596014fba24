package translate

import (
	"fmt"
	"path/filepath"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/names"
)

// podEdits change the i-th pod (and its EndpointSlices).
var podEdits = []bundleEdit{
	{"pod deleted", func(b *bundle.Bundle, i int) bool {
		if i >= len(b.Pods) {
			return false
		}
		ref := podRef(&b.Pods[i])
		b.Pods = append(b.Pods[:i:i], b.Pods[i+1:]...)
		editSlices(b, ref, func(ep []string) []string { return nil })
		return true
	}},
	{"pod recreated under a new IP", func(b *bundle.Bundle, i int) bool {
		if i >= len(b.Pods) || b.Pods[i].Status.PodIP == "" {
			return false
		}
		p := &b.Pods[i]
		ip := fmt.Sprintf("10.254.%d.%d", i/200, 1+i%200)
		p.Status.PodIP, p.Status.PodIPs, p.UID = ip, []corev1.PodIP{{IP: ip}}, types.UID(fmt.Sprintf("recreated-%d", i))
		editSlices(b, podRef(p), func([]string) []string { return []string{ip} })
		return true
	}},
	{"pod added to its services", func(b *bundle.Bundle, i int) bool {
		if i >= len(b.Pods) || b.Pods[i].Status.PodIP == "" {
			return false
		}
		p := *b.Pods[i].DeepCopy()
		p.Name += "-added"
		ip := fmt.Sprintf("10.253.%d.%d", i/200, 1+i%200)
		p.Status.PodIP, p.Status.PodIPs, p.UID = ip, []corev1.PodIP{{IP: ip}}, "added"
		addToSlices(b, podRef(&b.Pods[i]), p.Name, ip)
		b.Pods = append(b.Pods, p)
		return true
	}},
	{"pod version label changed", func(b *bundle.Bundle, i int) bool {
		if i >= len(b.Pods) {
			return false
		}
		p := &b.Pods[i]
		p.Labels = cloneLabels(p.Labels)
		if p.Labels["version"] == "v2" {
			p.Labels["version"] = "v1"
		} else {
			p.Labels["version"] = "v2"
		}
		return true
	}},
	{"pod's first label changed", func(b *bundle.Bundle, i int) bool {
		if i >= len(b.Pods) || len(b.Pods[i].Labels) == 0 {
			return false
		}
		p := &b.Pods[i]
		keys := make([]string, 0, len(p.Labels))
		for k := range p.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		p.Labels = cloneLabels(p.Labels)
		p.Labels[keys[0]] += "-edited"
		return true
	}},
	{"pod's sidecar status toggled", func(b *bundle.Bundle, i int) bool {
		if i >= len(b.Pods) {
			return false
		}
		p := &b.Pods[i]
		ann := map[string]string{}
		for k, v := range p.Annotations {
			ann[k] = v
		}
		_, istio := ann[defaults.IstioSidecarStatusAnnotation]
		var containers []corev1.Container
		for _, c := range p.Spec.Containers {
			if c.Name == defaults.ProxyContainerName {
				istio = true
				continue
			}
			containers = append(containers, c)
		}
		if istio {
			delete(ann, defaults.IstioSidecarStatusAnnotation)
			p.Spec.Containers = containers
		} else {
			ann[defaults.IstioSidecarStatusAnnotation] = "{}"
		}
		p.Annotations = ann
		return true
	}},
}

func podRef(p *corev1.Pod) types.NamespacedName {
	return types.NamespacedName{Namespace: p.Namespace, Name: p.Name}
}

func cloneLabels(l map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		out[k] = v
	}
	return out
}

// editSlices gives the endpoints naming the pod the addresses f returns
// (none: the endpoint is dropped).
func editSlices(b *bundle.Bundle, ref types.NamespacedName, f func([]string) []string) {
	for s := range b.EndpointSlices {
		sl := &b.EndpointSlices[s]
		eps := sl.Endpoints[:0:0]
		for _, ep := range sl.Endpoints {
			if tr := ep.TargetRef; tr != nil && tr.Kind == "Pod" && tr.Name == ref.Name && sl.Namespace == ref.Namespace {
				if ep.Addresses = f(ep.Addresses); len(ep.Addresses) == 0 {
					continue
				}
			}
			eps = append(eps, ep)
		}
		sl.Endpoints = eps
	}
}

// addToSlices lists a new pod wherever the pod ref is listed.
func addToSlices(b *bundle.Bundle, ref types.NamespacedName, name, ip string) {
	for s := range b.EndpointSlices {
		sl := &b.EndpointSlices[s]
		for _, ep := range sl.Endpoints {
			if tr := ep.TargetRef; tr != nil && tr.Kind == "Pod" && tr.Name == ref.Name && sl.Namespace == ref.Namespace {
				added := *ep.DeepCopy()
				added.Addresses, added.TargetRef.Name = []string{ip}, name
				sl.Endpoints = append(sl.Endpoints, added)
				break
			}
		}
	}
}

// podNodes are the case's proxy (its id following its pod's IP; kept when
// the pod is gone, so it waits) and a sidecar for every other pod with an
// IP.
func podNodes(b *bundle.Bundle, caseNode mesh.Node) []mesh.Node {
	id, _ := names.ParseNodeID(caseNode.ID)
	out := []mesh.Node{caseNode}
	for _, p := range b.Pods {
		if p.Namespace == id.Namespace && p.Name == id.Pod {
			if p.Status.PodIP != "" {
				id.IP = p.Status.PodIP
				out[0].ID = names.NodeID(id)
			}
			continue
		}
		if p.Status.PodIP == "" {
			continue
		}
		out = append(out, mesh.Node{ID: names.NodeID(names.Node{Type: names.Sidecar, IP: p.Status.PodIP, Pod: p.Name, Namespace: p.Namespace, Domain: defaults.DomainSuffix})})
	}
	return out
}

// TestPodsSinceMatchesFullTranslation applies every pod edit to every pod
// of every golden case, with the case's proxy and a sidecar per pod
// connected, and checks that mesh.ComputePodsSince, when it takes the
// change, gives every proxy exactly what mesh.Compute gives, with the same
// status and waiting nodes.
func TestPodsSinceMatchesFullTranslation(t *testing.T) {
	cases, _ := filepath.Glob("testdata/*.in.yaml")
	taken, declined := 0, 0
	declinedBy := map[string]int{}
	for _, in := range cases {
		h := header(t, in)
		if h.generator == "grpc-mtls" {
			continue // its node needs a verified identity
		}
		files := append(h.with, in)
		b := load(t, files)
		caseNode := caseNodes(t, in, h)[0]
		before := mesh.Compute(b, podNodes(b, caseNode))
		for _, e := range podEdits {
			for i := 0; ; i++ {
				edited := load(t, files)
				if !e.apply(edited, i) {
					break
				}
				nodes := podNodes(edited, caseNode)
				got, ok := mesh.ComputePodsSince(edited, nodes, before)
				if !ok {
					declined++
					declinedBy[e.name]++
					continue
				}
				taken++
				samePodPath(t, fmt.Sprintf("%s, %s of pod %d", in, e.name, i), nodes, mesh.Compute(edited, nodes), got)
			}
		}
	}
	t.Logf("%d pod edits took the pod path, %d declined (%v)", taken, declined, declinedBy)
	if taken == 0 || declined > taken {
		t.Errorf("the pod path took %d edits and declined %d", taken, declined)
	}
}
