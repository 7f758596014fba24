package xdsauth

import (
	"sync"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sailplane/sailplane/internal/metrics"
)

// Reasons a caller is refused, the values of
// sailplane_xds_auth_refusals_total's reason label. The set is fixed so the
// metric's cardinality is too.
const (
	ReasonNoTLS             = "no_tls"
	ReasonNoCredentials     = "no_credentials"
	ReasonBadAuthorization  = "bad_authorization_header"
	ReasonCertNotVerified   = "certificate_not_verified"
	ReasonCertNoSPIFFE      = "certificate_not_spiffe"
	ReasonCertTrustDomain   = "certificate_trust_domain"
	ReasonTokenRefused      = "token_refused"
	ReasonTokenNotWorkload  = "token_not_service_account"
	ReasonReviewUnavailable = "review_unavailable"
)

// maxLoggedRefusals bounds the (subject, reason) pairs remembered as
// already logged. When full the memory starts over, so a caller refused
// for hours is logged again now and then, never once per attempt.
const maxLoggedRefusals = 4096

// refusals counts refused callers and logs each (subject, reason) once.
type refusals struct {
	counter *prometheus.CounterVec
	log     logr.Logger

	mu     sync.Mutex
	logged map[[2]string]struct{}
}

func newRefusals(reg prometheus.Registerer, log logr.Logger) *refusals {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sailplane_xds_auth_refusals_total",
		Help: "Callers of the authenticated xDS port refused, by reason.",
	}, []string{"reason"})
	return &refusals{counter: metrics.Register(reg, c), log: log, logged: map[[2]string]struct{}{}}
}

// refuse records a refusal of subject (a SPIFFE id, a token hash or a peer
// address) and returns err unchanged.
func (r *refusals) refuse(reason, subject string, err error) error {
	r.counter.WithLabelValues(reason).Inc()
	key := [2]string{subject, reason}
	r.mu.Lock()
	_, seen := r.logged[key]
	if !seen {
		if len(r.logged) >= maxLoggedRefusals {
			clear(r.logged)
		}
		r.logged[key] = struct{}{}
	}
	r.mu.Unlock()
	if !seen {
		r.log.Info("refused an xDS caller (further refusals of it for this reason are counted, not logged)",
			"subject", subject, "reason", reason, "error", err.Error())
	}
	return err
}
