package model

import "sync"

// memo holds values derived from one model that every proxy's
// translation would otherwise derive again (an outbound cluster is the
// same for every sidecar whose namespace sees the same DestinationRule).
// The model is not changed after Build, so a value keyed by everything
// it was derived from besides the model stays right for the model's
// life. Translations run in parallel; the map is safe for that.
type memo struct {
	values sync.Map
}

// Memo returns the value stored under key, or stores and returns what
// build gives. key must be comparable and hold every input of build
// other than the model: it is the whole cache key. Two translations
// racing on one key may both build; every caller gets the one stored
// first, so that the results share it. build's result must never be
// changed afterwards (callers share it).
//
// A model that was not made by Build has no memo: build runs every time.
func (m *Model) Memo(key any, build func() any) any {
	if m.memo == nil {
		return build()
	}
	if v, ok := m.memo.values.Load(key); ok {
		return v
	}
	v, _ := m.memo.values.LoadOrStore(key, build())
	return v
}
