// Package route turns a VirtualService's http rules, as one proxy sees them
// on one port, into Envoy routes. It is pure: callers pass in how to name a
// destination's cluster, how to fetch a delegate, and the consistent-hash
// policy of a destination; Build returns the routes and what it could not
// translate.
//
// Translation follows Istio's semantics so that Istio manifests behave the
// same. Where sailplane has to choose:
//
//   - Whatever fails is reported as a FieldError naming the object and
//     field, and the smallest sensible part is dropped: a match with a bad
//     regex (the rule's other matches stay), a destination that does not
//     resolve (the others keep their relative weights; the route goes when
//     none is left; a destination the caller still names a cluster for,
//     a host outside the registry, stays and fails on its own), a route whose timeout, retries, rewrite or redirect
//     cannot be honoured. Faults, mirrors, CORS origins and header
//     operations Envoy cannot carry are dropped on their own, leaving the
//     route in place: losing them does not send traffic elsewhere.
//   - Matches on port, sourceLabels, sourceNamespace and gateways describe
//     the proxy, not the request, so they are decided here: a match that
//     does not apply produces no route.
//   - Errors do not depend on the proxy: every rule's action is translated
//     even where its matches do not apply, so every proxy reports the same.
//   - Every route passes Envoy's proto validation (ValidateAll) or is
//     dropped with the validation error.
//
// Per-route filter configs use the names in FaultFilter and CORSFilter; the
// listener that serves these routes must include those HTTP filters.
package route
