package xdsauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authnv1client "k8s.io/client-go/kubernetes/typed/authentication/v1"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/metrics"
)

// The keys under which the API server names the pod a bound
// service-account token belongs to, in the reviewed user's extra
// (k8s.io/apiserver/pkg/authentication/serviceaccount PodNameKey, PodUIDKey).
const (
	PodNameExtra = "authentication.kubernetes.io/pod-name"
	PodUIDExtra  = "authentication.kubernetes.io/pod-uid"
)

// Cache bounds of a TokenReviewer, unless its options say otherwise.
const (
	// DefaultMaxTTL bounds how long an accepted token is trusted without
	// asking the API server again, so a deleted pod's token stops working
	// within it.
	DefaultMaxTTL = 2 * time.Minute
	// DefaultNoExpiryTTL caches a token with no exp claim.
	DefaultNoExpiryTTL = 2 * time.Minute
	// DefaultRefusalTTL caches a refusal: long enough that a proxy
	// reconnecting in a loop with a bad token costs a review every few
	// seconds, short enough that a fixed token works almost at once.
	DefaultRefusalTTL = 5 * time.Second
	// DefaultMaxEntries bounds the cache (one entry per distinct token).
	DefaultMaxEntries = 10000
	// reviewTimeout bounds one TokenReview call.
	reviewTimeout = 10 * time.Second
	// maxReviewsInFlight bounds the TokenReview calls made at once. A mass
	// reconnect brings thousands of new tokens together; sent all at once
	// they queue inside the API server, and on a busy one a third of them
	// outlived reviewTimeout in the benchmark. Waiting here for a slot
	// (queueWait at most, not counted in reviewTimeout) keeps each call
	// short and the API server's other clients served.
	maxReviewsInFlight = 32
	queueWait          = time.Minute
)

// TokenReviewerOptions configure a TokenReviewer; zero values take the
// defaults above.
type TokenReviewerOptions struct {
	// Audience the token must be issued for (defaults.TokenAudience for
	// xDS). Empty means the API server's own audiences, the audience of a
	// kubectl user's token, for debug callers.
	Audience string
	// TrustDomain of the identities returned (defaults.TrustDomain).
	TrustDomain string
	MaxTTL      time.Duration
	NoExpiryTTL time.Duration
	RefusalTTL  time.Duration
	MaxEntries  int
	// Registerer, when set, gets sailplane_xds_token_reviews_total.
	Registerer prometheus.Registerer
	// Now is the clock the cache reads (time.Now).
	Now func() time.Time
}

// TokenReviewer verifies bearer tokens with the API server's TokenReview
// API and caches the answers, keyed by the SHA-256 of the token (the token
// itself is never stored).
type TokenReviewer struct {
	client  authnv1client.TokenReviewInterface
	opts    TokenReviewerOptions
	cache   *ttlCache[[sha256.Size]byte, reviewResult]
	flight  singleflight.Group
	reviews atomic.Int64
	counter *prometheus.CounterVec
	// slots holds one token per TokenReview call in flight.
	slots chan struct{}
}

// reviewResult is a cached answer: a user, or a refusal.
type reviewResult struct {
	user authenticationv1.UserInfo
	err  error
}

// NewTokenReviewer returns a reviewer calling client (a typed client's
// AuthenticationV1().TokenReviews()).
func NewTokenReviewer(client authnv1client.TokenReviewInterface, opts TokenReviewerOptions) *TokenReviewer {
	if opts.TrustDomain == "" {
		opts.TrustDomain = defaults.TrustDomain
	}
	if opts.MaxTTL <= 0 {
		opts.MaxTTL = DefaultMaxTTL
	}
	if opts.NoExpiryTTL <= 0 {
		opts.NoExpiryTTL = DefaultNoExpiryTTL
	}
	if opts.RefusalTTL <= 0 {
		opts.RefusalTTL = DefaultRefusalTTL
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &TokenReviewer{
		client: client,
		opts:   opts,
		cache:  newTTLCache[[sha256.Size]byte, reviewResult](opts.MaxEntries, opts.Now),
		slots:  make(chan struct{}, maxReviewsInFlight),
		counter: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sailplane_xds_token_reviews_total",
			Help: "TokenReview calls made to the API server (cache misses), by result: authenticated, refused or error.",
		}, []string{"result"}),
	}
	r.counter = metrics.Register(opts.Registerer, r.counter)
	return r
}

// Reviews is the number of TokenReview calls this reviewer has made.
func (r *TokenReviewer) Reviews() int64 { return r.reviews.Load() }

// Audience is the audience tokens are reviewed for ("" = the API server's).
func (r *TokenReviewer) Audience() string { return r.opts.Audience }

// Review returns the user the API server says token belongs to. Errors are
// gRPC status errors: Unauthenticated when the token is refused (with the
// API server's reason), Unavailable when the API server could not be asked.
func (r *TokenReviewer) Review(ctx context.Context, token string) (authenticationv1.UserInfo, error) {
	if token == "" {
		return authenticationv1.UserInfo{}, status.Error(codes.Unauthenticated, "empty bearer token")
	}
	key := sha256.Sum256([]byte(token))
	if res, ok := r.cache.get(key); ok {
		return res.user, res.err
	}
	ch := r.flight.DoChan(hex.EncodeToString(key[:]), func() (any, error) {
		// A review that raced this one may have filled the cache.
		if res, ok := r.cache.get(key); ok {
			return res, nil
		}
		res, err := r.review(ctx, token)
		if err != nil {
			return nil, err // not cached: the API server may be back at once
		}
		r.cache.put(key, res, r.ttl(token, res))
		return res, nil
	})
	select {
	case <-ctx.Done():
		return authenticationv1.UserInfo{}, status.FromContextError(ctx.Err()).Err()
	case out := <-ch:
		if out.Err != nil {
			return authenticationv1.UserInfo{}, out.Err
		}
		res := out.Val.(reviewResult)
		return res.user, res.err
	}
}

// Identity reviews token and reads the service account (and pod, for a
// bound token) it belongs to. A token of any other user is refused.
func (r *TokenReviewer) Identity(ctx context.Context, token string) (identity.Identity, error) {
	user, err := r.Review(ctx, token)
	if err != nil {
		return identity.Identity{}, err
	}
	return r.identityOf(user)
}

// identityOf reads the service account and pod of a reviewed user.
func (r *TokenReviewer) identityOf(user authenticationv1.UserInfo) (identity.Identity, error) {
	id, err := identity.FromServiceAccountUser(r.opts.TrustDomain, user.Username)
	if err != nil {
		return identity.Identity{}, status.Errorf(codes.Unauthenticated, "token accepted, but %v", err)
	}
	id.PodName = firstExtra(user, PodNameExtra)
	id.PodUID = firstExtra(user, PodUIDExtra)
	return id, nil
}

// review makes one TokenReview call. Its context is detached from the
// caller's: callers collapsed onto it by the singleflight must not all fail
// because the first one hung up.
func (r *TokenReviewer) review(ctx context.Context, token string) (reviewResult, error) {
	queued, stopQueue := context.WithTimeout(context.WithoutCancel(ctx), queueWait)
	defer stopQueue()
	select {
	case r.slots <- struct{}{}:
		defer func() { <-r.slots }()
	case <-queued.Done():
		r.counter.WithLabelValues("error").Inc()
		return reviewResult{}, status.Errorf(codes.Unavailable, "cannot review the token: %d reviews in flight for %s", maxReviewsInFlight, queueWait)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reviewTimeout)
	defer cancel()
	req := &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token}}
	if r.opts.Audience != "" {
		req.Spec.Audiences = []string{r.opts.Audience}
	}
	r.reviews.Add(1)
	resp, err := r.client.Create(ctx, req, metav1.CreateOptions{})
	if err != nil {
		r.counter.WithLabelValues("error").Inc()
		return reviewResult{}, status.Errorf(codes.Unavailable, "cannot review the token with the API server: %v", err)
	}
	st := resp.Status
	switch {
	case !st.Authenticated:
		reason := st.Error
		if reason == "" {
			reason = "not authenticated"
		}
		r.counter.WithLabelValues("refused").Inc()
		return reviewResult{err: status.Errorf(codes.Unauthenticated, "token refused by the API server: %s", reason)}, nil
	case r.opts.Audience != "" && !slices.Contains(st.Audiences, r.opts.Audience):
		// An authenticator that ignores audiences answers with none; the
		// API documents that audience-aware callers must check.
		r.counter.WithLabelValues("refused").Inc()
		return reviewResult{err: status.Errorf(codes.Unauthenticated, "token is not issued for audience %q (reviewed audiences %v)", r.opts.Audience, st.Audiences)}, nil
	}
	r.counter.WithLabelValues("authenticated").Inc()
	return reviewResult{user: st.User}, nil
}

// ttl is how long a review may be trusted: a refusal briefly; an acceptance
// until the token expires, at most MaxTTL.
func (r *TokenReviewer) ttl(token string, res reviewResult) time.Duration {
	if res.err != nil {
		return r.opts.RefusalTTL
	}
	ttl := r.opts.NoExpiryTTL
	if exp, ok := jwtExpiry(token); ok {
		ttl = exp.Sub(r.opts.Now())
	}
	return min(ttl, r.opts.MaxTTL)
}

func firstExtra(u authenticationv1.UserInfo, key string) string {
	if v := u.Extra[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// tokenHash names a token in logs and log de-duplication without
// revealing it.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:6])
}
