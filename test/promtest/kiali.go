package promtest

import (
	"fmt"
	"time"
)

// Kiali's graph queries for a namespace's request traffic, in the shapes
// Kiali sends them (kiali/kiali graph/telemetry/istio/istio.go,
// buildNamespaceTrafficMap): traffic from outside the mesh reported by
// the destination, traffic into the namespace from workloads of other
// namespaces, and traffic from the namespace's own workloads, each
// summed by the labels the graph's nodes and edges are made of.
const kialiGroupBy = "source_workload_namespace,source_workload,source_canonical_service,source_canonical_revision," +
	"destination_service_namespace,destination_service,destination_service_name,destination_workload_namespace,destination_workload," +
	"destination_canonical_service,destination_canonical_revision,request_protocol,response_code,grpc_response_status,response_flags"

// KialiRequestQueries are the three queries for namespace over window.
func KialiRequestQueries(namespace string, window time.Duration) []string {
	secs := int(window.Seconds())
	return []string{
		fmt.Sprintf(`sum(rate(istio_requests_total{reporter="destination",source_workload="unknown",destination_workload_namespace="%s"} [%vs])) by (%s)`,
			namespace, secs, kialiGroupBy),
		fmt.Sprintf(`sum(rate(istio_requests_total{reporter="source",source_workload_namespace!="%s",source_workload!="unknown",destination_service_namespace="%s"} [%vs])) by (%s)`,
			namespace, namespace, secs, kialiGroupBy),
		fmt.Sprintf(`sum(rate(istio_requests_total{reporter="source",source_workload_namespace="%s"} [%vs])) by (%s)`,
			namespace, secs, kialiGroupBy),
	}
}

// KialiLabels are the labels Kiali requires on every series of those
// queries; it skips a series that lacks any of them
// (populateTrafficMap). grpc_response_status is optional.
var KialiLabels = []string{
	"source_workload_namespace", "source_workload", "source_canonical_service", "source_canonical_revision",
	"destination_service_namespace", "destination_service", "destination_service_name", "destination_workload_namespace",
	"destination_workload", "destination_canonical_service", "destination_canonical_revision", "request_protocol",
	"response_code", "response_flags",
}

// KialiCode is the code Kiali files a series' requests under
// (graph/telemetry/istio/util/util.go, HandleResponseCode): "-" for no
// response, the HTTP code for non-gRPC traffic or an HTTP error, else the
// gRPC status.
func KialiCode(protocol, responseCode, grpcStatus string) string {
	if responseCode == "0" {
		return "-"
	}
	if protocol != "grpc" || (len(responseCode) == 3 && (responseCode[0] == '4' || responseCode[0] == '5')) || grpcStatus == "" {
		return responseCode
	}
	return grpcStatus
}
