package re2size

import (
	"errors"
	"strings"
	"testing"
)

// The sizes RE2 itself reports (RE2::ProgramSize of RE2(pattern,
// RE2::Quiet), as Envoy builds it), recorded with libre2 2022-06-01.
var re2Sizes = []struct {
	re   string
	size int
}{
	{"a", 5}, {"^a$", 4}, {"/api/v[0-9]+/.*", 21}, {".*", 12}, {"(?i)abc", 7},
	{"(?i)k", 8}, {"a{1000}", 1004}, {"a{100}", 104}, {"abc|abd", 7},
	{"(a|b|c|d)+", 8}, {"^/ratings/[0-9]+$", 6}, {"[a-z0-9-]+", 8}, {`\d+`, 6},
	{`\w+\.example\.com`, 20}, {"(?i)/RATINGS/.*", 23},
	{"^/v1/users/[0-9]+/orders/[a-z0-9-]+$", 18}, {".", 12}, {"(?s).", 11},
	{"[^a]", 12}, {"[^/]+", 13}, {"héllo", 10}, {"[é-ü]", 6}, {"x*y*z*", 9},
	{"(a*)*", 11}, {"(a|)*", 12}, {"a{2,5}", 12}, {"(abc){3}", 19}, {"^$", 2},
	{`\bfoo\b`, 9}, {"(?m)^foo$", 9}, {"a+?b*?", 8}, {"v[0-9]", 6},
	{"(?i)[a-z]+", 11}, {"[[:alpha:]]", 5}, {".*foo.*", 23}, {"^.*$", 10},
	{"(a)(b)(c)", 13}, {"^(?i)x", 4}, {"^abc", 4}, {"^abcx*", 5}, {"^(abc)", 7},
}

func TestProgramSizeIsRE2s(t *testing.T) {
	for _, c := range re2Sizes {
		got, err := ProgramSize(c.re)
		if err != nil || got != c.size {
			t.Errorf("%q: size %d (%v), RE2's is %d", c.re, got, err, c.size)
		}
	}
}

// Multi-byte classes are compiled without RE2's suffix sharing: never
// smaller than RE2's size.
func TestProgramSizeErrsHighOnMultiByteClasses(t *testing.T) {
	for _, c := range []struct {
		re   string
		size int
	}{{`[\x{100}-\x{10000}]`, 14}, {`\pL`, 1197}, {"(?:a?)+b", 6}} {
		got, err := ProgramSize(c.re)
		if err != nil || got < c.size {
			t.Errorf("%q: size %d (%v), below RE2's %d", c.re, got, err, c.size)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		re      string
		tooBig  bool
		invalid bool
	}{
		{"/api/v[0-9]+/.*", false, false},
		{"a{1000}", true, false},
		{"a{91}", true, false},  // 95 > 100 - margin 6
		{"a{90}", false, false}, // 94
		{strings.Repeat("x", 120<<10), true, false},
		{"/(unclosed", false, true},
		{"a{1001}", false, true}, // over RE2's (and Go's) repeat limit
	} {
		err := Check(c.re, 100)
		var tl *TooLargeError
		name := c.re
		if len(name) > 20 {
			name = name[:20] + "..."
		}
		switch {
		case c.tooBig && !errors.As(err, &tl):
			t.Errorf("%q: %v, want too large", name, err)
		case c.invalid && (err == nil || errors.As(err, &tl)):
			t.Errorf("%q: %v, want a syntax error", name, err)
		case !c.tooBig && !c.invalid && err != nil:
			t.Errorf("%q: %v, want accepted", name, err)
		}
	}
}
