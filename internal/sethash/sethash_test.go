package sethash

import "testing"

func TestSumsTellSetsApart(t *testing.T) {
	ab := Mix(1) + Mix(2)
	if ab != Mix(2)+Mix(1) {
		t.Error("the order of members must not matter")
	}
	if ab == Mix(1)+Mix(3) || ab == Mix(3) || Mix(1) == 1 {
		t.Error("different sets must give different sums")
	}
}
