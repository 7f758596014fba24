package xdsauth

import (
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
)

// Two users that differ anywhere the access review looks must not share a
// cached answer, however their parts concatenate.
func TestUserKeyDistinguishesUsers(t *testing.T) {
	users := []authenticationv1.UserInfo{
		{Username: "alice"},
		{Username: "alice", UID: "1"},
		{Username: "alice", Groups: []string{"admins"}},
		{Username: "alice", Groups: []string{"admin", "s"}},
		{Username: "alice", Extra: map[string]authenticationv1.ExtraValue{"a": {"xb"}}},
		{Username: "alice", Extra: map[string]authenticationv1.ExtraValue{"a": {}, "b": {}}},
		{Username: "alice", Extra: map[string]authenticationv1.ExtraValue{"a": {"b"}}},
	}
	seen := map[[32]byte]int{}
	for i, u := range users {
		k := userKey(u)
		if j, dup := seen[k]; dup {
			t.Errorf("users %d and %d share a key: %+v, %+v", j, i, users[j], u)
		}
		seen[k] = i
	}
	a := authenticationv1.UserInfo{Username: "bob", Groups: []string{"x", "y"}}
	b := authenticationv1.UserInfo{Username: "bob", Groups: []string{"y", "x"}}
	if userKey(a) != userKey(b) {
		t.Error("group order changes the key")
	}
}
