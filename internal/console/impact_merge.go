package console

import (
	"fmt"
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sailplane/sailplane/internal/bundle"
)

// Merge returns base with every object of change in place of base's object
// of the same kind, namespace and name (or appended). Neither input is
// modified. It walks the Bundle's fields by reflection so that a kind
// added to the Bundle is merged too, not silently dropped from the
// preview (which would show every proxy losing its config for it). A
// field that is not a list (the mesh config read from its ConfigMap) is
// change's when change sets it, else base's.
func Merge(base, change *bundle.Bundle) *bundle.Bundle {
	if base == nil {
		base = &bundle.Bundle{}
	}
	if change == nil {
		change = &bundle.Bundle{}
	}
	out := &bundle.Bundle{}
	bv, cv, ov := reflect.ValueOf(base).Elem(), reflect.ValueOf(change).Elem(), reflect.ValueOf(out).Elem()
	for i := 0; i < ov.NumField(); i++ {
		b, c := bv.Field(i), cv.Field(i)
		switch {
		case b.Kind() == reflect.Slice:
			ov.Field(i).Set(upsert(b, c))
		case !c.IsZero():
			ov.Field(i).Set(c)
		default:
			ov.Field(i).Set(b)
		}
	}
	return out
}

// upsert copies the list base and puts each of add in place of the object
// with its namespace and name, or at the end.
func upsert(base, add reflect.Value) reflect.Value {
	out := reflect.MakeSlice(base.Type(), base.Len(), base.Len()+add.Len())
	reflect.Copy(out, base)
	at := map[string]int{}
	for i := 0; i < out.Len(); i++ {
		at[objectKey(out.Index(i))] = i
	}
	for j := 0; j < add.Len(); j++ {
		a := add.Index(j)
		k := objectKey(a)
		if i, ok := at[k]; ok {
			out.Index(i).Set(a)
			continue
		}
		at[k] = out.Len()
		out = reflect.Append(out, a)
	}
	return out
}

// objectKey is an object's namespace and name; an element that is not a
// Kubernetes object is keyed by its address, so it is always appended.
func objectKey(v reflect.Value) string {
	if v.CanAddr() {
		if m, ok := v.Addr().Interface().(metav1.Object); ok {
			return m.GetNamespace() + "/" + m.GetName()
		}
		return fmt.Sprintf("%p", v.Addr().Interface())
	}
	if m, ok := v.Interface().(metav1.Object); ok {
		return m.GetNamespace() + "/" + m.GetName()
	}
	return fmt.Sprintf("%v", v.Interface())
}
