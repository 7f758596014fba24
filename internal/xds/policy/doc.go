// Package policy applies a DestinationRule's traffic policy to an Envoy
// cluster the way Istio does: it merges the rule's layers (top level,
// subset, port level) into one effective policy and turns each section
// (loadBalancer, connectionPool, outlierDetection, tls, proxyProtocol,
// retryBudget) into cluster fields.
//
// The package is pure: values in, values out, no clients, clocks or
// globals, so the cluster builder, golden tests and `sailctl x translate`
// all get the same answer. Problems in the rule come back as FieldErrors
// naming the object and field; the cluster is always left valid, with the
// offending setting skipped (Istio's default applies instead).
package policy
