// Package listid names a slice by where it lives: its backing array and
// its length. Stages that hand an unchanged list on by reference (load
// assignments, secrets, cluster lists, subscribed names) let later stages
// recognise it, and what they derived from it, without looking at its
// elements. Two IDs are equal exactly when the slices are the same
// elements of the same array (or both empty); equal contents in another
// array are another ID.
package listid

// ID identifies a slice of T. The zero ID is every empty slice's.
type ID[T any] struct {
	first *T
	n     int
}

// Of is s's ID.
func Of[T any](s []T) ID[T] {
	if len(s) == 0 {
		return ID[T]{}
	}
	return ID[T]{first: &s[0], n: len(s)}
}
