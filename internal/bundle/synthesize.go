package bundle

import (
	"fmt"
	"hash/fnv"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Synthesize fills in what a live cluster would have and manifests in git
// do not: one Pod per Deployment replica (when the bundle has no Pods),
// with the template's labels and a made-up IP, and a made-up cluster IP
// for Services that have none. The addresses are derived from the
// objects' names, so the same manifests always get the same addresses.
// The first replica's pod is named after the Deployment, so
// `--proxy productpage-v1.default` finds it. Addresses come from 10.96/16
// (Services) and 10.244/16 (Pods): when one runs out (64,516 addresses, a
// Deployment with replicas: 100000, say), the rest go without, Services
// keep no cluster IP and no more Pods are made.
func (b *Bundle) Synthesize() {
	used := map[string]bool{}
	for _, s := range b.Services {
		used[s.Spec.ClusterIP] = true
	}
	for i := range b.Services {
		s := &b.Services[i]
		if s.Spec.ClusterIP == "" && s.Spec.Type != corev1.ServiceTypeExternalName {
			s.Spec.ClusterIP, _ = stableIP(used, "10.96", s.Namespace+"/"+s.Name)
		}
	}
	if len(b.Pods) > 0 {
		return
	}
	deps := b.Deployments
	sort.Slice(deps, func(i, j int) bool { return deps[i].Namespace+"/"+deps[i].Name < deps[j].Namespace+"/"+deps[j].Name })
	for _, d := range deps {
		replicas := 1
		if d.Spec.Replicas != nil {
			replicas = int(*d.Spec.Replicas)
		}
		for r := 0; r < replicas; r++ {
			name := d.Name
			if r > 0 {
				name = fmt.Sprintf("%s-%d", d.Name, r)
			}
			pod := corev1.Pod{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: d.Namespace, Labels: d.Spec.Template.Labels, Annotations: d.Spec.Template.Annotations},
				Spec:       *d.Spec.Template.Spec.DeepCopy(),
			}
			ip, ok := stableIP(used, "10.244", d.Namespace+"/"+name)
			if !ok {
				return
			}
			pod.Status.PodIP = ip
			pod.Status.Phase = corev1.PodRunning
			b.Pods = append(b.Pods, pod)
		}
	}
}

// stableIP derives an address in prefix/16 from key, stepping past ones
// already taken; false when every one is.
func stableIP(used map[string]bool, prefix, key string) (string, bool) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	n := h.Sum32() % addressesPer16
	for range addressesPer16 {
		ip := fmt.Sprintf("%s.%d.%d", prefix, n/254%254, n%254+1)
		if !used[ip] {
			used[ip] = true
			return ip, true
		}
		n = (n + 1) % addressesPer16
	}
	return "", false
}

// addressesPer16 is how many values of n stableIP tries: the last octet
// in 1..254 and the third in 0..255 wrapped at 254 (so a few values give
// the same address; the used check steps past them).
const addressesPer16 = 254 * 256
