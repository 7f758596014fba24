// Package apihealth keeps the informers' link to the API server honest
// across an outage. client-go's reflectors back off exponentially while the
// API server is away (0.8 s doubling to a 30 s cap, with up to 100 % jitter,
// reset only after two quiet minutes), and none of it is configurable through
// controller-runtime: after a 20 s outage a reflector typically sleeps
// another 10–50 s before it looks again, and every change meanwhile waits.
//
// Transport sits under the informers' HTTP client. It retries their reads
// (list and watch are GETs without a body) itself while the connection
// fails, every Backoff (a short, bounded delay), so a reflector never sees
// the outage and resumes within one retry of the API server's return. It
// records every outcome, per resource, in a Tracker, whose Check fails
// readiness once some resource has been unreachable longer than a grace
// period.
package apihealth
