package simulate

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	lrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	netlrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/local_ratelimit/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// RateLimiter replays one local_ratelimit filter over requests arriving
// at given times, with the filter's own parameters read from its config.
// Envoy's token bucket semantics: a bucket starts full (max_tokens); a
// timer adds tokens_per_fill every fill_interval from the filter's start
// (time 0 here), never beyond max_tokens, and fires before a request
// arriving at the same instant; each request takes one token. The
// request's descriptors come from the filter's rate_limits; a request
// takes a token from every configured descriptor it produces (the slowest
// filling first, as Envoy orders them) and then from the filter's bucket
// when always_consume_default_token_bucket (default true) or no
// descriptor matched; the first empty bucket refuses it. Tokens taken
// before a refusal stay taken, as in Envoy.
type RateLimiter struct {
	status      uint32
	enforced    bool
	always      bool
	def         *bucket
	descriptors map[string]*bucket
	actions     []*routev3.RateLimit
	last        time.Duration
}

// RateLimitDecision is what the filter does with one request.
type RateLimitDecision struct {
	// Limited says a bucket was empty (Envoy counts rate_limited);
	// Allowed says the request goes on (not limited, or not enforced:
	// dry run). Status is the refusal's HTTP status when it does not.
	Limited, Allowed bool
	Status           uint32
	// Bucket names the empty bucket: "default" or the descriptor.
	Bucket string
}

type bucket struct {
	name     string
	max      uint32
	perFill  uint32
	interval time.Duration
	tokens   uint32
	fills    int64 // timer firings applied so far
}

func newBucket(name string, b *typev3.TokenBucket) (*bucket, error) {
	iv := b.GetFillInterval().AsDuration()
	if iv <= 0 {
		return nil, fmt.Errorf("bucket %s: no fill interval", name)
	}
	per := uint32(1)
	if b.GetTokensPerFill() != nil {
		per = b.GetTokensPerFill().GetValue()
	}
	return &bucket{name: name, max: b.GetMaxTokens(), perFill: per, interval: iv, tokens: b.GetMaxTokens()}, nil
}

// advance applies the timer firings up to and including at.
func (b *bucket) advance(at time.Duration) {
	due := int64(at / b.interval)
	for ; b.fills < due; b.fills++ {
		b.tokens = min(b.max, b.tokens+b.perFill)
	}
}

func (b *bucket) take(at time.Duration) bool {
	b.advance(at)
	if b.tokens == 0 {
		return false
	}
	b.tokens--
	return true
}

// rate is tokens per second, for Envoy's slowest-first order.
func (b *bucket) rate() float64 { return float64(b.perFill) / b.interval.Seconds() }

// HTTPRateLimiter reads the local_ratelimit filter of a connection
// manager; nil (and no error) when it has none.
func HTTPRateLimiter(hcm *hcmv3.HttpConnectionManager) (*RateLimiter, error) {
	for _, f := range hcm.GetHttpFilters() {
		if f.GetName() != names.LocalRateLimitFilter {
			continue
		}
		var cfg lrlv3.LocalRateLimit
		if err := f.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
			return nil, err
		}
		return newRateLimiter(&cfg)
	}
	return nil, nil
}

func newRateLimiter(cfg *lrlv3.LocalRateLimit) (*RateLimiter, error) {
	enabled, err := wholePercent("filter_enabled", cfg.GetFilterEnabled())
	if err != nil {
		return nil, err
	}
	if !enabled {
		return nil, fmt.Errorf("filter_enabled is 0%%: the filter does nothing, not even count")
	}
	enforced, err := wholePercent("filter_enforced", cfg.GetFilterEnforced())
	if err != nil {
		return nil, err
	}
	if cfg.LocalRateLimitPerDownstreamConnection {
		return nil, fmt.Errorf("per-connection buckets are not simulated")
	}
	r := &RateLimiter{
		status: 429, enforced: enforced, always: cfg.GetAlwaysConsumeDefaultTokenBucket() == nil || cfg.GetAlwaysConsumeDefaultTokenBucket().GetValue(),
		descriptors: map[string]*bucket{}, actions: cfg.GetRateLimits(),
	}
	if c := uint32(cfg.GetStatus().GetCode()); c >= 400 {
		r.status = c
	}
	if cfg.TokenBucket != nil {
		if r.def, err = newBucket("default", cfg.TokenBucket); err != nil {
			return nil, err
		}
	}
	for _, d := range cfg.Descriptors {
		key := descriptorKey(d.GetEntries())
		if r.descriptors[key], err = newBucket(key, d.GetTokenBucket()); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// wholePercent reads a runtime fraction that is 0% or 100% (the default
// when unset is 0%, as Envoy's); anything in between is random per
// request and not simulated.
func wholePercent(field string, p *corev3.RuntimeFractionalPercent) (bool, error) {
	v := p.GetDefaultValue()
	var whole uint32
	switch v.GetDenominator() {
	case typev3.FractionalPercent_HUNDRED:
		whole = 100
	case typev3.FractionalPercent_TEN_THOUSAND:
		whole = 10000
	case typev3.FractionalPercent_MILLION:
		whole = 1000000
	}
	switch v.GetNumerator() {
	case 0:
		return false, nil
	case whole:
		return true, nil
	}
	return false, fmt.Errorf("%s %d/%s is a random share; not simulated", field, v.GetNumerator(), v.GetDenominator())
}

type entry interface {
	GetKey() string
	GetValue() string
}

func descriptorKey[E entry](entries []E) string {
	parts := make([]string, len(entries))
	for i, e := range entries {
		parts[i] = e.GetKey() + "=" + e.GetValue()
	}
	return strings.Join(parts, ",")
}

// Request runs the filter over req arriving at (since the filter's start);
// at must not go back in time.
func (r *RateLimiter) Request(at time.Duration, req Request) (RateLimitDecision, error) {
	if at < r.last {
		return RateLimitDecision{}, fmt.Errorf("request at %s after one at %s: time goes forward only", at, r.last)
	}
	r.last = at
	keys, err := r.requestDescriptors(req)
	if err != nil {
		return RateLimitDecision{}, err
	}
	var matched []*bucket
	for _, k := range keys {
		if b := r.descriptors[k]; b != nil {
			matched = append(matched, b)
		}
	}
	sort.SliceStable(matched, func(i, j int) bool { return matched[i].rate() < matched[j].rate() })
	if r.def != nil && (len(matched) == 0 || r.always) {
		matched = append(matched, r.def)
	}
	for _, b := range matched {
		if !b.take(at) {
			d := RateLimitDecision{Limited: true, Allowed: !r.enforced, Bucket: b.name}
			if r.enforced {
				d.Status = r.status
			}
			return d, nil
		}
	}
	return RateLimitDecision{Allowed: true}, nil
}

// requestDescriptors are the descriptors the filter's rate_limits produce
// for req: one per rate limit whose every action yields an entry. Only
// header_value_match, request_headers and generic_key actions are
// understood; any other is an error, not a guess.
func (r *RateLimiter) requestDescriptors(req Request) ([]string, error) {
	return descriptors(r.actions, req)
}

func descriptors(actions []*routev3.RateLimit, req Request) ([]string, error) {
	var out []string
	for _, rl := range actions {
		var parts []string
		complete := true
		for _, a := range rl.GetActions() {
			switch s := a.GetActionSpecifier().(type) {
			case *routev3.RateLimit_Action_HeaderValueMatch_:
				m := s.HeaderValueMatch
				all := true
				for _, h := range m.GetHeaders() {
					all = all && headerMatches(h, req)
				}
				expect := m.GetExpectMatch() == nil || m.GetExpectMatch().GetValue()
				if all != expect {
					complete = false
					continue
				}
				key := m.GetDescriptorKey()
				if key == "" {
					key = "header_match"
				}
				parts = append(parts, key+"="+m.GetDescriptorValue())
			case *routev3.RateLimit_Action_RequestHeaders_:
				// Envoy drops the whole descriptor when the header is
				// absent, unless skip_if_absent drops the entry alone.
				v, ok := headerValue(req, s.RequestHeaders.GetHeaderName())
				switch {
				case ok:
					parts = append(parts, s.RequestHeaders.GetDescriptorKey()+"="+v)
				case !s.RequestHeaders.GetSkipIfAbsent():
					complete = false
				}
			case *routev3.RateLimit_Action_GenericKey_:
				key := s.GenericKey.GetDescriptorKey()
				if key == "" {
					key = "generic_key"
				}
				parts = append(parts, key+"="+s.GenericKey.GetDescriptorValue())
			default:
				return nil, fmt.Errorf("rate limit action %T is not simulated", s)
			}
		}
		if complete && len(parts) > 0 {
			out = append(out, strings.Join(parts, ","))
		}
	}
	return out, nil
}

// ConnectionLimiter replays a network local_ratelimit filter: each new
// connection takes a token from its one bucket, with the same timer
// semantics as RateLimiter.
type ConnectionLimiter struct{ b *bucket }

// NetworkRateLimiter reads a network local_ratelimit filter config.
func NetworkRateLimiter(cfg *netlrlv3.LocalRateLimit) (*ConnectionLimiter, error) {
	b, err := newBucket("default", cfg.GetTokenBucket())
	if err != nil {
		return nil, err
	}
	return &ConnectionLimiter{b: b}, nil
}

// Connect says whether a connection opened at (since the filter's start)
// is accepted; a refused one is closed at once.
func (c *ConnectionLimiter) Connect(at time.Duration) bool { return c.b.take(at) }

// GatewayRateLimiter reads the local_ratelimit filter of the gateway
// listener's plain-text HTTP chain for port.
func GatewayRateLimiter(res *xds.Resources, port uint32) (*RateLimiter, error) {
	fc, err := gatewayChain(res, port, false, "")
	if err != nil {
		return nil, err
	}
	for _, f := range fc.GetFilters() {
		if f.GetName() != names.HTTPConnectionManagerFilter {
			continue
		}
		var h hcmv3.HttpConnectionManager
		if err := f.GetTypedConfig().UnmarshalTo(&h); err != nil {
			return nil, err
		}
		return HTTPRateLimiter(&h)
	}
	return nil, fmt.Errorf("the gateway chain for port %d has no HTTP connection manager", port)
}

// InboundConnectionLimiter reads the network local_ratelimit filter of
// virtualInbound's plain-text chain for port; nil (and no error) when the
// chain has none.
func InboundConnectionLimiter(res *xds.Resources, port uint32) (*ConnectionLimiter, error) {
	chains, err := inboundPlaintextChains(res, port)
	if err != nil {
		return nil, err
	}
	for _, fc := range chains {
		for _, f := range fc.GetFilters() {
			if f.GetName() != names.LocalRateLimitNetworkFilter {
				continue
			}
			var cfg netlrlv3.LocalRateLimit
			if err := f.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
				return nil, err
			}
			return NetworkRateLimiter(&cfg)
		}
		return nil, nil
	}
	return nil, fmt.Errorf("no plain-text chain for port %d in %s", port, names.VirtualInbound)
}
