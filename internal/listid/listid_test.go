package listid

import "testing"

// The same array and length is one ID; a copy, a shorter view or another
// start is another; every empty slice shares the zero ID.
func TestOf(t *testing.T) {
	a := []string{"x", "y", "z"}
	if Of(a) != Of(a[:3]) {
		t.Error("the same slice has two IDs")
	}
	if Of(a) == Of(append([]string(nil), a...)) {
		t.Error("a copy has the original's ID")
	}
	if Of(a) == Of(a[:2]) || Of(a) == Of(a[1:]) {
		t.Error("a shorter view or another start has the slice's ID")
	}
	if Of([]string(nil)) != Of(a[:0]) || Of(a[:0]) != (ID[string]{}) {
		t.Error("empty slices differ")
	}
}
