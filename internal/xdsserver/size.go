package xdsserver

// Size counts the snapshot's resources and their encoded bytes: what a
// proxy given it receives in full (the console's "config size").
func (s *Snapshot) Size() (resources, bytes int) {
	for _, set := range s.sets {
		if set == nil {
			continue
		}
		for it := range set.all() {
			resources++
			bytes += len(it.any.GetValue())
		}
	}
	return resources, bytes
}
