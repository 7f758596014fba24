package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	policyv1alpha1 "github.com/sailplane/sailplane/api/policy/v1alpha1"
	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	telemetryv1 "github.com/sailplane/sailplane/api/telemetry/v1"
)

// DefaultNamespace is given to namespaced objects that name none, as
// kubectl would with no --namespace flag.
const DefaultNamespace = "default"

// Decode reads a multi-document YAML or JSON stream into b. source names the
// stream in errors. Objects of kinds that do not matter to the mesh
// (ConfigMaps, ServiceAccounts, ...) are skipped; Istio kinds sailplane does
// not serve are returned as Unsupported. A document that cannot be decoded
// is an error naming the source, document number, kind and name.
func (b *Bundle) Decode(source string, r io.Reader) ([]Unsupported, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(r, 4096)
	var unsupported []Unsupported
	for doc := 1; ; doc++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return unsupported, nil
			}
			return unsupported, fmt.Errorf("%s#%d: %w", source, doc, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
			continue
		}
		u, err := b.add(raw)
		where := fmt.Sprintf("%s#%d", source, doc)
		if err != nil {
			return unsupported, fmt.Errorf("%s: %w", where, err)
		}
		if u != nil {
			u.Source = where
			unsupported = append(unsupported, *u)
		}
	}
}

type header struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Items      []json.RawMessage `json:"items"`
}

func (b *Bundle) add(raw json.RawMessage) (*Unsupported, error) {
	var h header
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, err
	}
	if h.Kind == "List" || strings.HasSuffix(h.Kind, "List") && h.Items != nil {
		for i, item := range h.Items {
			if _, err := b.add(item); err != nil {
				return nil, fmt.Errorf("items[%d]: %w", i, err)
			}
		}
		return nil, nil
	}
	group, _, _ := strings.Cut(h.APIVersion, "/")
	if !strings.Contains(h.APIVersion, "/") {
		group = ""
	}
	if group == networkingv1.GroupName && !knownVersion(networkingv1.ServedVersions, h.APIVersion) {
		return nil, fmt.Errorf("%s %s: apiVersion %s is not served (use v1, v1beta1 or v1alpha3)", h.Kind, h.Metadata.Name, h.APIVersion)
	}
	if securityv1.Serves(schema.GroupKind{Group: group, Kind: h.Kind}) && !knownVersion(securityv1.ServedVersions, h.APIVersion) {
		return nil, fmt.Errorf("%s %s: apiVersion %s is not served (use v1 or v1beta1)", h.Kind, h.Metadata.Name, h.APIVersion)
	}
	if telemetryv1.Serves(schema.GroupKind{Group: group, Kind: h.Kind}) && !knownVersion(telemetryv1.ServedVersions, h.APIVersion) {
		return nil, fmt.Errorf("%s %s: apiVersion %s is not served (use v1 or v1alpha1)", h.Kind, h.Metadata.Name, h.APIVersion)
	}
	if policyv1alpha1.Serves(schema.GroupKind{Group: group, Kind: h.Kind}) && !knownVersion(policyv1alpha1.ServedVersions, h.APIVersion) {
		return nil, fmt.Errorf("%s %s: apiVersion %s is not served (use v1alpha1)", h.Kind, h.Metadata.Name, h.APIVersion)
	}
	target := b.slot(group, h.Kind)
	if target == nil {
		if strings.HasSuffix(group, "istio.io") {
			return &Unsupported{APIVersion: h.APIVersion, Kind: h.Kind, Namespace: nsOrDefault(h.Metadata.Namespace), Name: h.Metadata.Name}, nil
		}
		return nil, nil
	}
	if err := target(raw); err != nil {
		return nil, fmt.Errorf("%s %s: %w", h.Kind, h.Metadata.Name, err)
	}
	return nil, nil
}

func knownVersion(served []schema.GroupVersion, apiVersion string) bool {
	for _, gv := range served {
		if gv.String() == apiVersion {
			return true
		}
	}
	return false
}

// slot returns a function that decodes a document of the kind into the
// bundle, or nil for kinds the mesh does not use.
func (b *Bundle) slot(group, kind string) func(json.RawMessage) error {
	switch group + "/" + kind {
	case "/Namespace":
		return appendTo(&b.Namespaces)
	case "/Service":
		return appendTo(&b.Services)
	case "/Pod":
		return appendTo(&b.Pods)
	case "/Node":
		return appendTo(&b.Nodes)
	case "/Secret":
		return appendTo(&b.Secrets)
	case "/ConfigMap":
		return b.addMeshConfigMap
	case "discovery.k8s.io/EndpointSlice":
		return appendTo(&b.EndpointSlices)
	case "apps/Deployment":
		return appendTo(&b.Deployments)
	case networkingv1.GroupName + "/Gateway":
		return appendTo(&b.Gateways)
	case networkingv1.GroupName + "/VirtualService":
		return appendTo(&b.VirtualServices)
	case networkingv1.GroupName + "/DestinationRule":
		return appendTo(&b.DestinationRules)
	case networkingv1.GroupName + "/ServiceEntry":
		return appendTo(&b.ServiceEntries)
	case networkingv1.GroupName + "/Sidecar":
		return appendTo(&b.Sidecars)
	case securityv1.GroupName + "/PeerAuthentication":
		return appendTo(&b.PeerAuthentications)
	case securityv1.GroupName + "/RequestAuthentication":
		return appendTo(&b.RequestAuthentications)
	case securityv1.GroupName + "/AuthorizationPolicy":
		return appendTo(&b.AuthorizationPolicies)
	case telemetryv1.GroupName + "/Telemetry":
		return appendTo(&b.Telemetries)
	case policyv1alpha1.GroupName + "/RateLimitPolicy":
		return appendTo(&b.RateLimitPolicies)
	}
	return nil
}

// object is a Kubernetes object whose namespace can be defaulted.
type object interface {
	GetNamespace() string
	SetNamespace(string)
}

// appendTo decodes strictly (an unknown field is an error, as kubectl
// apply's strict validation makes it) and appends to the list.
func appendTo[T any, PT interface {
	*T
	object
}](list *[]T) func(json.RawMessage) error {
	return func(raw json.RawMessage) error {
		var v T
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			return err
		}
		p := PT(&v)
		if _, cluster := any(p).(*corev1.Namespace); !cluster {
			p.SetNamespace(nsOrDefault(p.GetNamespace()))
		}
		*list = append(*list, v)
		return nil
	}
}

func nsOrDefault(ns string) string {
	if ns == "" {
		return DefaultNamespace
	}
	return ns
}

// Compile-time checks that the listed kinds satisfy object.
var (
	_ object = &corev1.Service{}
	_ object = &discoveryv1.EndpointSlice{}
	_ object = &appsv1.Deployment{}
	_ object = &networkingv1.VirtualService{}
)
