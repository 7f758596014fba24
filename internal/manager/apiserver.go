package manager

import (
	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	"github.com/sailplane/sailplane/internal/apihealth"
)

// apiServerCheck names the readiness check that fails while the informers
// cannot reach the API server for longer than Options.APIOutageGrace.
const apiServerCheck = "api-server-watches"

// newCacheFunc gives the manager an informer cache whose requests go
// through apihealth's transport (held and retried promptly across an
// outage, recorded in t). Only the cache's reads take that path: the
// client's writes keep failing fast to their callers.
func newCacheFunc(t *apihealth.Tracker) cache.NewCacheFunc {
	return func(cfg *rest.Config, opts cache.Options) (cache.Cache, error) {
		held := rest.CopyConfig(cfg)
		held.Wrap(apihealth.Wrap(t, apihealth.DefaultBackoff))
		hc, err := rest.HTTPClientFor(held)
		if err != nil {
			return nil, err
		}
		opts.HTTPClient = hc
		return cache.New(held, opts)
	}
}

func newAPITracker(log logr.Logger) *apihealth.Tracker {
	return apihealth.NewTracker(log.WithName("apiserver"))
}
