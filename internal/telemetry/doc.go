// Package telemetry turns the load reports proxyless gRPC clients send
// (LRS: per cluster and locality, requests that succeeded, failed, are in
// progress, were issued) into Istio's standard request metric,
// istio_requests_total, with the labels Kiali's graph queries group by.
//
// It is pure but for the counter it increments: a Directory (built from a
// model after each reconcile) says who the reporter is and what a cluster
// name stands for; Requests adds each report to the series. A label that
// neither the report nor the mesh determines is "unknown", never guessed.
package telemetry
