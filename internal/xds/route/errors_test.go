package route

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func TestFieldErrorMessage(t *testing.T) {
	e := FieldError{Object: types.NamespacedName{Namespace: "default", Name: "reviews"}, Kind: KindVirtualService,
		Field: "http[0].route[1]", Reason: `subset "v4" not found in DestinationRule default/reviews`}
	want := `VirtualService default/reviews: http[0].route[1]: subset "v4" not found in DestinationRule default/reviews`
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e.Field = ""
	if got, want := e.Error(), `VirtualService default/reviews: subset "v4" not found in DestinationRule default/reviews`; got != want {
		t.Errorf("Error() without field = %q, want %q", got, want)
	}
}

func TestErrorListDeduplicates(t *testing.T) {
	var l errorList
	at := loc{obj: testVS}.field("http").index(0).field("timeout")
	l.add(at, "bad %s", "x")
	l.add(at, "bad %s", "x")
	l.add(at, "bad %s", "y")
	if len(l.list) != 2 || l.list[0].Field != "http[0].timeout" || l.list[1].Reason != "bad y" {
		t.Errorf("errors = %v", l.list)
	}
}
