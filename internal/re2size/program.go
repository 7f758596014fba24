// Package re2size computes the size of the program RE2 compiles a regex
// into, the number Envoy compares with its runtime limit
// re2.max_program_size.error_level (RE2::ProgramSize(): the forward
// program's instruction count after RE2 flattens it). Envoy refuses a regex
// over the limit, and with it the whole resource that carries it.
//
// Go's regexp/syntax parses and simplifies like RE2 (it is a port), but its
// compiler is not RE2's: syntax.Prog matches runes where RE2 matches bytes
// (one UTF-8 byte range per instruction), keeps the Alt and Nop
// instructions RE2's Flatten removes, and has neither RE2's unanchored
// `.*?` prefix nor the fail instruction's list. len(syntax.Prog.Inst) is
// therefore no measure of RE2's size: it undercounts non-ASCII classes and
// `.` (8 RE2 instructions, one Go instruction) and overcounts alternations.
// This package compiles the simplified syntax tree the way RE2's compiler
// does (same fragments, same anchor handling, same unanchored prefix), then
// flattens the program with RE2's algorithm (successor roots, dominator
// roots, one list per root). The one difference is deliberate and on the
// safe side: a character class's multi-byte UTF-8 sequences are compiled
// without RE2's suffix sharing, so for such classes the size here may
// exceed RE2's, never fall short of it (except the range 80-10FFFF, which
// RE2 special-cases and which is reproduced exactly). ASCII is exact.
package re2size

import (
	"fmt"
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// ProgramSize parses re with RE2's syntax (as Envoy does: UTF-8, Perl
// classes, non-POSIX) and returns the size of its RE2 program.
func ProgramSize(re string) (int, error) {
	parsed, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return 0, err
	}
	sre := withoutRequiredPrefix(parsed).Simplify()
	anchorStart := stripAnchorStart(&sre, 0)
	stripAnchorEnd(&sre, 0)
	c := &compiler{}
	c.alloc(opFail) // instruction 0
	all, err := c.walk(sre)
	if err != nil {
		return 0, err
	}
	all = c.cat(all, c.match())
	start := all.begin
	if !anchorStart {
		all = c.cat(c.dotStar(), all)
	}
	startUnanchored := all.begin
	if start == 0 && startUnanchored == 0 {
		return 1, nil // only the fail instruction
	}
	c.skipNops(start)
	return c.flatten(startUnanchored, start), nil
}

// withoutRequiredPrefix is what the RE2 object compiles (RE2::Init with
// Regexp::RequiredPrefix): a regex of the form ^literal... is compiled
// without the ^ and the literal, which RE2 matches separately. Under case
// folding RE2's literal is only the leading runes whose case variants are
// one ASCII pair ('a'/'A'); a rune like 'k' (also U+212A) is a class in
// RE2's parse and ends the literal.
func withoutRequiredPrefix(re *syntax.Regexp) *syntax.Regexp {
	if re.Op != syntax.OpConcat {
		return re
	}
	i := 0
	for i < len(re.Sub) && re.Sub[i].Op == syntax.OpBeginText {
		i++
	}
	if i == 0 || i >= len(re.Sub) || re.Sub[i].Op != syntax.OpLiteral {
		return re
	}
	lit := re.Sub[i]
	n := len(lit.Rune)
	if lit.Flags&syntax.FoldCase != 0 {
		n = 0
		for n < len(lit.Rune) && simpleFold(lit.Rune[n]) {
			n++
		}
		if n == 0 {
			return re
		}
	}
	rest := re.Sub[i+1:]
	if n < len(lit.Rune) {
		tail := *lit
		tail.Rune = lit.Rune[n:]
		rest = append([]*syntax.Regexp{&tail}, rest...)
	}
	switch len(rest) {
	case 0:
		return &syntax.Regexp{Op: syntax.OpEmptyMatch, Flags: re.Flags}
	case 1:
		return rest[0]
	}
	return &syntax.Regexp{Op: syntax.OpConcat, Flags: re.Flags, Sub: rest}
}

// simpleFold says whether r's case variants are r alone or one ASCII
// upper/lower pair, which RE2 keeps as a case-folding literal.
func simpleFold(r rune) bool {
	other := unicode.SimpleFold(r)
	return other == r || r < utf8.RuneSelf && other < utf8.RuneSelf && unicode.SimpleFold(other) == r
}

// stripAnchorStart removes a leading \A (^ without (?m)) as RE2's
// IsAnchorStart does, to the same depth, and says whether it did.
func stripAnchorStart(re **syntax.Regexp, depth int) bool {
	r := *re
	if r == nil || depth >= 4 {
		return false
	}
	switch r.Op {
	case syntax.OpConcat:
		if len(r.Sub) > 0 {
			sub := r.Sub[0]
			if stripAnchorStart(&sub, depth+1) {
				cp := *r
				cp.Sub = append([]*syntax.Regexp{sub}, r.Sub[1:]...)
				*re = &cp
				return true
			}
		}
	case syntax.OpCapture:
		sub := r.Sub[0]
		if stripAnchorStart(&sub, depth+1) {
			cp := *r
			cp.Sub = []*syntax.Regexp{sub}
			*re = &cp
			return true
		}
	case syntax.OpBeginText:
		*re = &syntax.Regexp{Op: syntax.OpEmptyMatch}
		return true
	}
	return false
}

// stripAnchorEnd removes a trailing \z ($ without (?m)), as RE2's
// IsAnchorEnd does.
func stripAnchorEnd(re **syntax.Regexp, depth int) bool {
	r := *re
	if r == nil || depth >= 4 {
		return false
	}
	switch r.Op {
	case syntax.OpConcat:
		if n := len(r.Sub); n > 0 {
			sub := r.Sub[n-1]
			if stripAnchorEnd(&sub, depth+1) {
				cp := *r
				cp.Sub = append(append([]*syntax.Regexp(nil), r.Sub[:n-1]...), sub)
				*re = &cp
				return true
			}
		}
	case syntax.OpCapture:
		sub := r.Sub[0]
		if stripAnchorEnd(&sub, depth+1) {
			cp := *r
			cp.Sub = []*syntax.Regexp{sub}
			*re = &cp
			return true
		}
	case syntax.OpEndText:
		*re = &syntax.Regexp{Op: syntax.OpEmptyMatch}
		return true
	}
	return false
}

func (c *compiler) walk(re *syntax.Regexp) (frag, error) {
	switch re.Op {
	case syntax.OpNoMatch:
		return noMatch, nil
	case syntax.OpEmptyMatch:
		return c.nop(), nil
	case syntax.OpLiteral:
		f := frag{}
		first := true
		for _, r := range re.Rune {
			lf := c.literal(r, re.Flags&syntax.FoldCase != 0)
			if first {
				f, first = lf, false
			} else {
				f = c.cat(f, lf)
			}
		}
		if first {
			return c.nop(), nil
		}
		return f, nil
	case syntax.OpCharClass:
		return c.class(re.Rune), nil
	case syntax.OpAnyCharNotNL:
		return c.class([]rune{0, '\n' - 1, '\n' + 1, unicode.MaxRune}), nil
	case syntax.OpAnyChar:
		return c.class([]rune{0, unicode.MaxRune}), nil
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return c.emptyWidth(), nil
	case syntax.OpCapture:
		sub, err := c.walk(re.Sub[0])
		if err != nil {
			return frag{}, err
		}
		return c.capture(sub), nil
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		sub, err := c.walk(re.Sub[0])
		if err != nil {
			return frag{}, err
		}
		ng := re.Flags&syntax.NonGreedy != 0
		switch re.Op {
		case syntax.OpStar:
			return c.star(sub, ng), nil
		case syntax.OpPlus:
			return c.plus(sub, ng), nil
		}
		return c.quest(sub, ng), nil
	case syntax.OpConcat, syntax.OpAlternate:
		if len(re.Sub) == 0 {
			if re.Op == syntax.OpConcat {
				return c.nop(), nil
			}
			return noMatch, nil
		}
		f, err := c.walk(re.Sub[0])
		if err != nil {
			return frag{}, err
		}
		for _, s := range re.Sub[1:] {
			g, err := c.walk(s)
			if err != nil {
				return frag{}, err
			}
			if re.Op == syntax.OpConcat {
				f = c.cat(f, g)
			} else {
				f = c.alt(f, g)
			}
		}
		return f, nil
	}
	return frag{}, fmt.Errorf("regex operator %v is not supported by RE2", re.Op)
}

// literal is one rune: its UTF-8 bytes in sequence; with case folding, an
// ASCII letter is one case-folding byte range (as in RE2) and any other
// rune with case variants the class of them all.
func (c *compiler) literal(r rune, fold bool) frag {
	if fold {
		if unicode.SimpleFold(r) != r && simpleFold(r) {
			return c.byteRange()
		}
		if other := unicode.SimpleFold(r); other != r {
			var ranges []rune
			for x := r; ; {
				ranges = append(ranges, x, x)
				if x = unicode.SimpleFold(x); x == r {
					break
				}
			}
			return c.class(ranges)
		}
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	f := c.byteRange()
	for i := 1; i < n; i++ {
		f = c.cat(f, c.byteRange())
	}
	return f
}

// Margin is how far below Envoy's limit a size must stay to be accepted.
// Against RE2 itself (libre2 2022-06-01, 3,000 random regexes and the
// usual path and header patterns) the size here is exact for ASCII
// patterns without the constructs below and above RE2's for multi-byte
// classes; it falls short, by at most 6%, only where Go's parser folds
// what RE2's keeps: duplicate alternatives (`b|b`) and repeated empty-width
// assertions (`(?:$){3,}`). The margin keeps those on the safe side: a
// regex refused here that Envoy would take costs one match and says so; a
// regex taken here that Envoy refuses costs every proxy the whole table.
func Margin(limit int) int { return 1 + limit/20 }

// Check returns an error when Envoy, with the given program size limit,
// would refuse the regex: it does not parse, or its program is too large.
func Check(re string, limit int) error {
	n, err := ProgramSize(re)
	if err != nil {
		return err
	}
	if n > limit-Margin(limit) {
		return &TooLargeError{Size: n, Limit: limit}
	}
	return nil
}

// TooLargeError is a regex whose RE2 program is over Envoy's limit (or
// within the safety margin of it).
type TooLargeError struct{ Size, Limit int }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("RE2 program size %d is over what Envoy accepts (re2.max_program_size.error_level %d, less a safety margin of %d)", e.Size, e.Limit, Margin(e.Limit))
}
