package route

import (
	"fmt"

	"k8s.io/apimachinery/pkg/types"
)

// KindVirtualService is the Kind of every FieldError this package reports.
const KindVirtualService = "VirtualService"

// FieldError says which object and field could not be translated, and why.
// The status writer turns these into the object's Accepted condition, so
// the field path uses the names the user wrote (http[0].route[1].destination).
type FieldError struct {
	Object types.NamespacedName
	Kind   string
	Field  string
	Reason string
}

// Error formats the error as the project's convention asks:
// `VirtualService default/reviews: http[0].route[1]: subset "v4" not found`.
func (e FieldError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s %s: %s", e.Kind, e.Object, e.Reason)
	}
	return fmt.Sprintf("%s %s: %s: %s", e.Kind, e.Object, e.Field, e.Reason)
}

// loc is where a value sits in the user's objects: which VirtualService and
// which field. Delegation mixes fields of two objects in one route, so every
// error carries its own loc rather than assuming the root VirtualService.
type loc struct {
	obj  types.NamespacedName
	path string
}

// field descends into a named field.
func (l loc) field(name string) loc {
	if l.path != "" {
		name = "." + name
	}
	l.path += name
	return l
}

// index descends into a list element.
func (l loc) index(i int) loc {
	l.path += fmt.Sprintf("[%d]", i)
	return l
}

// key descends into a map entry.
func (l loc) key(k string) loc {
	l.path += "[" + k + "]"
	return l
}

// errorList collects FieldErrors in the order found, each once: a parent
// field inherited by several delegated rules is reported a single time.
type errorList struct {
	list []FieldError
	seen map[FieldError]bool
}

func (l *errorList) add(at loc, format string, args ...any) {
	e := FieldError{Object: at.obj, Kind: KindVirtualService, Field: at.path, Reason: fmt.Sprintf(format, args...)}
	if l.seen == nil {
		l.seen = map[FieldError]bool{}
	}
	if l.seen[e] {
		return
	}
	l.seen[e] = true
	l.list = append(l.list, e)
}
