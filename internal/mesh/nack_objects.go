package mesh

import "github.com/sailplane/sailplane/internal/model"

// RejectedObjects counts, per object, the proxies' standing rejections
// that name a resource the object produced (the objects AddRejections
// writes them on); rejections that name no object are not counted.
func RejectedObjects(m *model.Model, rejections []Rejection) map[model.ObjectRef]int {
	out := map[model.ObjectRef]int{}
	for _, rj := range rejections {
		for _, ref := range objectsFor(m, clusterInError.FindAllString(rj.Error, -1)) {
			out[ref]++
		}
	}
	return out
}
