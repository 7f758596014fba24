package translate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// The structural mutator. A manifest stream is decoded into its documents
// (generic JSON values) and the fuzzer's ops bytes, four per operation
// (kind, two bytes choosing a site, one value byte), rewrite them the way
// configuration goes wrong in practice: hosts in another case, duplicated
// or made wildcards, weights and ports out of range, regexes huge or
// broken, subsets renamed, references pointed at other objects, objects
// deleted or applied twice. The result is YAML again, so every mutation
// reaches the model and the translation instead of failing the decoder.

const (
	opCase = iota
	opWeight
	opRegex
	opPort
	opSubset
	opDupHost
	opWildcard
	opDeleteDoc
	opDupDoc
	opDeleteKey
	opSwapString
	opDupListItem
	opNumber
	opCount
)

// maxOps bounds the work one input asks for.
const maxOps = 24

// site is one value in a document: a map entry or a list item (which
// carries its list's key), with how to replace or remove it.
type site struct {
	key    string
	val    any
	set    func(any)
	del    func()
	rename func(key string) // map entries only: move the value to another key
}

type mutator struct {
	docs []any
	ops  []byte
}

// mutate applies ops to the documents of doc and returns the new stream;
// false when doc is not a YAML stream of objects.
func mutate(doc, ops []byte) ([]byte, bool) {
	docs, err := splitDocs(doc)
	if err != nil || len(docs) == 0 {
		return nil, false
	}
	m := &mutator{docs: docs, ops: ops}
	for i := 0; i < maxOps && len(m.ops) >= 4; i++ {
		op := m.ops[:4]
		m.ops = m.ops[4:]
		m.apply(op[0]%opCount, int(op[1])<<8|int(op[2]), op[3])
	}
	var out bytes.Buffer
	for _, d := range m.docs {
		y, err := yaml.Marshal(d)
		if err != nil {
			return nil, false
		}
		out.WriteString("---\n")
		out.Write(y)
	}
	return out.Bytes(), true
}

func splitDocs(doc []byte) ([]any, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(doc), 4096)
	var docs []any
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return nil, err
		}
		if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
			continue
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		docs = append(docs, v)
	}
}

// sites lists every value of every document, in a stable order.
func (m *mutator) sites() []site {
	var out []site
	var walk func(key string, v any, set func(any), del func(), rename func(string))
	walk = func(key string, v any, set func(any), del func(), rename func(string)) {
		out = append(out, site{key: key, val: v, set: set, del: del, rename: rename})
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(k, x[k], func(n any) { x[k] = n }, func() { delete(x, k) }, func(nk string) { v := x[k]; delete(x, k); x[nk] = v })
			}
		case []any:
			for i := range x {
				walk(key, x[i], func(n any) { x[i] = n }, func() { set(append(append([]any{}, x[:i]...), x[i+1:]...)) }, nil)
			}
		}
	}
	for i := range m.docs {
		walk("", m.docs[i], func(n any) { m.docs[i] = n }, nil, nil)
	}
	return out
}

// pick chooses the sel'th site (modulo) of those keep accepts.
func (m *mutator) pick(sel int, keep func(site) bool) (site, bool) {
	var c []site
	for _, s := range m.sites() {
		if keep(s) {
			c = append(c, s)
		}
	}
	if len(c) == 0 {
		return site{}, false
	}
	return c[sel%len(c)], true
}

func keyIn(keys ...string) func(site) bool {
	return func(s site) bool {
		for _, k := range keys {
			if s.key == k {
				return true
			}
		}
		return false
	}
}

func isString(s site) bool { _, ok := s.val.(string); return ok }
func isNumber(s site) bool { _, ok := s.val.(json.Number); return ok }
func isList(s site) bool   { l, ok := s.val.([]any); return ok && len(l) > 0 }

func both(a, b func(site) bool) func(site) bool { return func(s site) bool { return a(s) && b(s) } }

var hostKeys = keyIn("host", "hosts")

func (m *mutator) apply(kind byte, sel int, v byte) {
	switch kind {
	case opCase:
		if s, ok := m.pick(sel, both(keyIn("host", "hosts", "name", "subset", "exact", "prefix", "authority"), isString)); ok {
			s.set(flipCase(s.val.(string), v))
		}
	case opWeight:
		if s, ok := m.pick(sel, keyIn("weight")); ok {
			s.set(pickNumber(v, []string{"0", "1", "50", "99", "100", "101", "-1", "4294967296"}))
		}
	case opRegex:
		if s, ok := m.pick(sel, both(keyIn("regex"), isString)); ok && v&1 == 0 {
			s.set(regexFor(v >> 1))
		} else if s, ok := m.pick(sel, both(keyIn("exact", "prefix"), isString)); ok {
			// Turn a plain match into a regex one.
			s.set(regexFor(v >> 1))
			s.rename("regex")
		}
	case opPort:
		if s, ok := m.pick(sel, both(keyIn("number", "port", "targetPort", "containerPort"), isNumber)); ok {
			s.set(pickNumber(v, append(m.numbersAt("number", "port"), "0", "1", "80", "443", "15001", "15006", "15021", "65535", "65536")))
		}
	case opSubset:
		if s, ok := m.pick(sel, both(keyIn("subset"), isString)); ok {
			s.set(pickString(v, append(m.stringsAt("name"), "", "v9", "V1", "a.b", "v1|x")))
		}
	case opDupHost:
		if s, ok := m.pick(sel, both(keyIn("hosts"), isList)); ok {
			l := s.val.([]any)
			h := l[int(v)%len(l)]
			if str, ok := h.(string); ok && v&0x80 != 0 {
				h = flipCase(str, v)
			}
			s.set(append(append([]any{}, l...), h))
		}
	case opWildcard:
		if s, ok := m.pick(sel, both(hostKeys, isString)); ok {
			s.set(pickString(v, []string{"*", "*.local", "*.svc.cluster.local", "*.default.svc.cluster.local", "*.com", "*.", "foo.*", "reviews", "REVIEWS.default.svc.cluster.local", "*/*", "./*", "default/*", "~/*", ""}))
		}
	case opDeleteDoc:
		if len(m.docs) > 1 {
			i := sel % len(m.docs)
			m.docs = append(m.docs[:i:i], m.docs[i+1:]...)
		}
	case opDupDoc:
		i := sel % len(m.docs)
		cp := deepCopy(m.docs[i])
		if v&1 == 1 { // the same object under another name
			if md, ok := cp.(map[string]any)["metadata"].(map[string]any); ok {
				md["name"] = fmt.Sprint(md["name"], "-copy")
			}
		}
		m.docs = append(m.docs, cp)
	case opDeleteKey:
		if s, ok := m.pick(sel, func(s site) bool { return s.del != nil }); ok {
			s.del()
		}
	case opSwapString:
		if s, ok := m.pick(sel, isString); ok {
			s.set(pickString(v, m.stringsAt()))
		}
	case opDupListItem:
		if s, ok := m.pick(sel, isList); ok {
			l := s.val.([]any)
			s.set(append(append([]any{}, l...), deepCopy(l[int(v)%len(l)])))
		}
	case opNumber:
		if s, ok := m.pick(sel, isNumber); ok {
			s.set(pickNumber(v, []string{"0", "-1", "1", "2147483647", "2147483648", "4294967295", "18446744073709551615", "1e9", "0.5"}))
		}
	}
}

// stringsAt lists the string values under the given keys (all when none).
func (m *mutator) stringsAt(keys ...string) []string {
	var out []string
	for _, s := range m.sites() {
		if str, ok := s.val.(string); ok && (len(keys) == 0 || keyIn(keys...)(s)) {
			out = append(out, str)
		}
	}
	return out
}

func (m *mutator) numbersAt(keys ...string) []string {
	var out []string
	for _, s := range m.sites() {
		if n, ok := s.val.(json.Number); ok && keyIn(keys...)(s) {
			out = append(out, n.String())
		}
	}
	return out
}

func pickString(v byte, from []string) string {
	if len(from) == 0 {
		return ""
	}
	return from[int(v)%len(from)]
}

func pickNumber(v byte, from []string) json.Number {
	return json.Number(pickString(v, from))
}

// flipCase upper-cases the letters whose position's bit is set in mask
// (all of them when mask is 0).
func flipCase(s string, mask byte) string {
	r := []rune(s)
	for i, c := range r {
		if mask == 0 || mask&(1<<(i%8)) != 0 {
			if unicode.IsUpper(c) {
				r[i] = unicode.ToLower(c)
			} else {
				r[i] = unicode.ToUpper(c)
			}
		}
	}
	return string(r)
}

// regexFor returns a regex: a fixed one that is at, near or over what RE2
// and Envoy accept, or one built of a nested, counted repetition whose
// size v sets.
func regexFor(v byte) string {
	fixed := []string{
		"a{1000}", "a{1001}", "(a{100}){100}", "((a|b|c){20}){20}", "(?i)[a-z]{90}", "[^/]{60}",
		".*", "^/api/(v[0-9]+)/.*$", "(", "x{2,1}", `\`, `(a)\1`, `\pL{40}`, "é{30}", "(?:$){40}",
		"b|b|b|b|b|b|b|b", `[\x{10000}-\x{10FFFF}]{8}`, "a{0}", "", "^$", "((((((((((a))))))))))*",
		"a**", "(?P<n>x)", `\C`, "[[:alpha:]]{20}", "(?s).{47}", "[a-c]{31}",
	}
	if int(v) < len(fixed) {
		return fixed[v]
	}
	atoms := []string{"a", "[a-z]", ".", `\d`, "(ab|cd)", "é", `[^\n]`, "(?i)k"}
	n := int(v>>3) % 64
	return fmt.Sprintf("^/(%s{%d}){1,%d}$", atoms[v&7], n, 1+int(v)%4)
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// docsString is for failure messages: the input as the decoder saw it,
// cut when long.
func docsString(b []byte) string {
	s := string(b)
	if len(s) > 4000 {
		s = s[:4000] + "\n... (" + fmt.Sprint(len(b)) + " bytes)"
	}
	return strings.TrimSpace(s)
}
