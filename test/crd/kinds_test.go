package crd

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	policyv1alpha1 "github.com/sailplane/sailplane/api/policy/v1alpha1"
	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	telemetryv1 "github.com/sailplane/sailplane/api/telemetry/v1"
)

// servedGroup is one API group sailplane serves: its kinds (by resource
// name) and versions, storage first.
type servedGroup struct {
	name     string
	kinds    map[string]string
	versions []schema.GroupVersion
	category string
}

var servedGroups = []servedGroup{
	{networkingv1.GroupName, networkingv1.Kinds, networkingv1.ServedVersions, "networking-istio-io"},
	{securityv1.GroupName, securityv1.Kinds, securityv1.ServedVersions, "security-istio-io"},
	{telemetryv1.GroupName, telemetryv1.Kinds, telemetryv1.ServedVersions, "telemetry-istio-io"},
	{policyv1alpha1.GroupName, policyv1alpha1.Kinds, policyv1alpha1.ServedVersions, "sailplane"},
}

// groupOf returns the served group of a kind; the zero group for others.
func groupOf(kind string) servedGroup {
	for _, g := range servedGroups {
		if _, ok := g.kinds[kind]; ok {
			return g
		}
	}
	return servedGroup{}
}

// serves reports whether sailplane serves the group and kind.
func serves(gk schema.GroupKind) bool {
	return networkingv1.Serves(gk) || securityv1.Serves(gk) || telemetryv1.Serves(gk) || policyv1alpha1.Serves(gk)
}

// servedKinds counts the kinds of every served group.
func servedKinds() int {
	n := 0
	for _, g := range servedGroups {
		n += len(g.kinds)
	}
	return n
}
