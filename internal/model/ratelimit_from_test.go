package model

import (
	"regexp"
	"strings"
	"testing"
)

// holds evaluates a condition as Envoy's header matcher does: a suffix,
// or a regex matching the whole value.
func (c PeerCondition) holds(xfcc string) bool {
	switch {
	case c.Present:
		return true
	case c.Regex != "":
		return regexp.MustCompile("^(?:" + c.Regex + ")$").MatchString(xfcc)
	}
	return strings.HasSuffix(xfcc, c.Suffix)
}

// element is the XFCC element the inbound connection manager writes for
// a peer (By, Hash, URI).
func element(peer string) string {
	return "By=spiffe://cluster.local/ns/default/sa/frontend;Hash=abcd;URI=spiffe://" + peer
}

// Each condition reads the last element's URI: the peer's, never one a
// caller put before it.
func TestPeerConditionsReadTheLastElement(t *testing.T) {
	cases := []struct {
		cond       PeerCondition
		match, not []string
	}{
		{PrincipalCondition("cluster.local/ns/a/sa/b"),
			[]string{element("cluster.local/ns/a/sa/b"), element("cluster.local/ns/z/sa/z") + "," + element("cluster.local/ns/a/sa/b")},
			[]string{element("cluster.local/ns/a/sa/bc"), element("cluster.local/ns/a/sa/b") + "," + element("cluster.local/ns/z/sa/z"), element("x.local/ns/a/sa/b")}},
		{PrincipalCondition("cluster.local/ns/a/*"),
			[]string{element("cluster.local/ns/a/sa/b"), element("cluster.local/ns/a/sa/c")},
			[]string{element("cluster.local/ns/ab/sa/b"), element("cluster.local/ns/a/sa/b") + "," + element("cluster.local/ns/z/sa/z")}},
		{PrincipalCondition("*/sa/b"),
			[]string{element("cluster.local/ns/a/sa/b"), element("other/ns/z/sa/b")},
			[]string{element("cluster.local/ns/a/sa/bb"), element("cluster.local/ns/a/sa/b") + "," + element("cluster.local/ns/z/sa/z")}},
		{NamespaceCondition("a"),
			[]string{element("cluster.local/ns/a/sa/b"), element("other.domain/ns/a/sa/x"), element("cluster.local/ns/z/sa/z") + "," + element("cluster.local/ns/a/sa/b")},
			[]string{element("cluster.local/ns/ab/sa/b"), element("cluster.local/ns/a/sa/b") + "," + element("cluster.local/ns/z/sa/z"), element("cluster.local/ns/z/sa/a")}},
		{NamespaceCondition("team-*"),
			[]string{element("cluster.local/ns/team-a/sa/b"), element("cluster.local/ns/team-/sa/b")},
			[]string{element("cluster.local/ns/teams/sa/b"), element("cluster.local/ns/team-a/sa/b") + "," + element("cluster.local/ns/z/sa/z")}},
	}
	for _, tc := range cases {
		for _, x := range tc.match {
			if !tc.cond.holds(x) {
				t.Errorf("%+v does not match %q", tc.cond, x)
			}
		}
		for _, x := range tc.not {
			if tc.cond.holds(x) {
				t.Errorf("%+v matches %q", tc.cond, x)
			}
		}
	}
	if !PrincipalCondition("*").Present {
		t.Error(`principal "*" should be any peer (the header present)`)
	}
}

// A rule with a usable from is applied; values the header cannot carry
// are refused by field.
func TestRateLimitFromApplied(t *testing.T) {
	m := Build(decode(t, rlp("p", "default", "2026-01-01T00:00:00Z",
		`{rules: [{name: ok, match: {from: {principals: ["cluster.local/ns/a/sa/b"], namespaces: ["a"]}}, local: {maxTokens: 2, fillInterval: 1s}},
		  {name: bad, match: {from: {principals: ["a b"]}}, local: {maxTokens: 1, fillInterval: 1s}}]}`)))
	r := m.RateLimitFor("default", map[string]string{"app": "x"}, nil)
	if r == nil || len(r.Rules) != 1 || r.Rules[0].Name != "ok" || r.Rules[0].Match.From == nil {
		t.Fatalf("want the ok rule with its from, got %+v", r)
	}
	ps := m.Status.Problems(RateLimitRef(r.Ref))
	if len(ps) != 1 || ps[0].Field != "spec.rules[1]" || !strings.Contains(ps[0].Reason, "match.from.principals[0]") {
		t.Errorf("want one problem on spec.rules[1] naming the principal, got %v", ps)
	}
}
