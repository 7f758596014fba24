// Package sethash identifies sets by the sum of their members' hashes, so
// a set's identity can be kept up to date as members come and go, and does
// not depend on their order.
package sethash

// Mix spreads a member's hash (a 64-bit finalizer) so that sums of mixed
// hashes tell sets apart.
func Mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	return h ^ h>>33
}
