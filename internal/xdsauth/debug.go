package xdsauth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authzv1client "k8s.io/client-go/kubernetes/typed/authorization/v1"

	"github.com/sailplane/sailplane/internal/defaults"
)

// The permission a caller of the debug endpoints needs: get on the
// services/proxy subresource of the sailplane Service in the control
// plane's namespace. That right is what lets a user reach the Service's
// ports through the API server (`kubectl get --raw
// /api/v1/namespaces/<ns>/services/sailplane:15014/proxy/...`), so whoever
// RBAC already lets talk to sailplane may read its debug data, and RBAC
// stays the one place that grants it. (Such a proxied request carries no
// token of the user, so it is refused here: sailctl calls the port itself.)
const (
	DebugVerb        = "get"
	DebugResource    = "services"
	DebugSubresource = "proxy"
)

// How long an access review answer is reused for the same user and groups.
// A denial is kept shorter so a new RoleBinding takes effect quickly.
const (
	accessAllowedTTL = 10 * time.Second
	accessDeniedTTL  = 2 * time.Second
	accessMaxEntries = 1024
)

// debugRealm names the protection space in WWW-Authenticate.
const debugRealm = `Bearer realm="sailplane"`

// DebugHandler serves next only to callers with a bearer token that
// reviewer accepts and that SubjectAccessReview (sar, a typed client's
// AuthorizationV1().SubjectAccessReviews()) allows get services/proxy on
// Service defaults.ControlPlaneService in namespace. Every request is
// checked, loopback ones too: on a shared node, loopback is not a
// credential. reviewer should review for the API server's own audience
// (TokenReviewerOptions.Audience ""), the audience of kubectl users' and
// sailctl's tokens.
func DebugHandler(next http.Handler, reviewer *TokenReviewer, sar authzv1client.SubjectAccessReviewInterface, namespace string, log logr.Logger) http.Handler {
	d := &debugAuth{
		next: next, reviewer: reviewer, sar: sar, namespace: namespace, log: log,
		access: newTTLCache[[sha256.Size]byte, accessResult](accessMaxEntries, time.Now),
	}
	return d
}

type debugAuth struct {
	next      http.Handler
	reviewer  *TokenReviewer
	sar       authzv1client.SubjectAccessReviewInterface
	namespace string
	log       logr.Logger
	access    *ttlCache[[sha256.Size]byte, accessResult]
}

type accessResult struct {
	allowed bool
	reason  string
}

func (d *debugAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := r.Header.Get("Authorization")
	if h == "" {
		w.Header().Set("WWW-Authenticate", debugRealm)
		http.Error(w, "unauthenticated: the debug endpoints need an Authorization: Bearer <token> header (sailctl sends one)", http.StatusUnauthorized)
		return
	}
	token, ok := parseBearer(h)
	if !ok {
		w.Header().Set("WWW-Authenticate", debugRealm+`, error="invalid_request"`)
		http.Error(w, "unauthenticated: the Authorization header is not \"Bearer <token>\"", http.StatusUnauthorized)
		return
	}
	user, err := d.reviewer.Review(r.Context(), token)
	if err != nil {
		if status.Code(err) == codes.Unauthenticated {
			w.Header().Set("WWW-Authenticate", debugRealm+`, error="invalid_token"`)
			http.Error(w, "unauthenticated: "+status.Convert(err).Message(), http.StatusUnauthorized)
			return
		}
		d.log.Error(err, "debug endpoint: token review failed", "path", r.URL.Path)
		http.Error(w, "cannot authenticate the caller now: "+status.Convert(err).Message(), http.StatusServiceUnavailable)
		return
	}
	res, err := d.authorize(r.Context(), user)
	if err != nil {
		d.log.Error(err, "debug endpoint: access review failed", "path", r.URL.Path, "user", user.Username)
		http.Error(w, "cannot authorize the caller now: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if !res.allowed {
		http.Error(w, fmt.Sprintf("forbidden: user %q may not %s %s/%s %q in namespace %q: %s",
			user.Username, DebugVerb, DebugResource, DebugSubresource, defaults.ControlPlaneService, d.namespace, res.reason), http.StatusForbidden)
		return
	}
	d.next.ServeHTTP(w, r)
}

// authorize asks SubjectAccessReview whether user may read the debug data,
// reusing a recent answer for the same user, uid, groups and extra.
func (d *debugAuth) authorize(ctx context.Context, user authenticationv1.UserInfo) (accessResult, error) {
	key := userKey(user)
	if res, ok := d.access.get(key); ok {
		return res, nil
	}
	extra := map[string]authorizationv1.ExtraValue{}
	for k, v := range user.Extra {
		extra[k] = authorizationv1.ExtraValue(v)
	}
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: d.namespace, Verb: DebugVerb, Resource: DebugResource,
			Subresource: DebugSubresource, Name: defaults.ControlPlaneService,
		},
		User: user.Username, UID: user.UID, Groups: user.Groups, Extra: extra,
	}}
	ctx, cancel := context.WithTimeout(ctx, reviewTimeout)
	defer cancel()
	resp, err := d.sar.Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		return accessResult{}, fmt.Errorf("SubjectAccessReview: %w", err)
	}
	res := accessResult{allowed: resp.Status.Allowed && !resp.Status.Denied, reason: resp.Status.Reason}
	if res.reason == "" {
		res.reason = "no RBAC rule allows it"
	}
	if resp.Status.EvaluationError != "" {
		res.reason += " (evaluation error: " + resp.Status.EvaluationError + ")"
	}
	ttl := accessDeniedTTL
	if res.allowed {
		ttl = accessAllowedTTL
	}
	d.access.put(key, res, ttl)
	return res, nil
}

// userKey is a digest of everything the access review is asked about the
// user; the parts are length-prefixed so no two users collide by
// concatenation.
func userKey(u authenticationv1.UserInfo) [sha256.Size]byte {
	var b strings.Builder
	field := func(s string) { fmt.Fprintf(&b, "%d:%s", len(s), s) }
	field(u.Username)
	field(u.UID)
	groups := append([]string(nil), u.Groups...)
	sort.Strings(groups)
	for _, g := range groups {
		field("g" + g)
	}
	keys := make([]string, 0, len(u.Extra))
	for k := range u.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		field("x" + k)
		for _, v := range u.Extra[k] {
			field("v" + v)
		}
	}
	return sha256.Sum256([]byte(b.String()))
}
