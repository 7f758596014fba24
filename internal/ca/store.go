package ca

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sailplane/sailplane/internal/defaults"
)

// Load reads the mesh CA from the control plane's namespace, as istiod
// does: the plugged Secret cacerts when it exists, otherwise the
// self-signed istio-ca-secret, which the first replica to find it missing
// creates. It returns the CA and the name of the Secret it came from.
//
// r should read the API server directly (the manager's GetAPIReader): the
// create-or-read race between replicas must see the other replica's write,
// not a cache that may not have it yet. w creates the Secret.
//
// A cacerts that exists but is invalid is an error, never a reason to fall
// back to the self-signed root: an operator who plugged a CA must not get
// workloads signed by another one.
func Load(ctx context.Context, r client.Reader, w client.Writer, namespace, trustDomain string, now time.Time) (*CA, string, error) {
	if c, found, err := loadSecret(ctx, r, namespace, defaults.PluggedCASecret, true, now); found || err != nil {
		return c, defaults.PluggedCASecret, err
	}
	c, found, err := loadSecret(ctx, r, namespace, defaults.SelfSignedCASecret, false, now)
	if found || err != nil {
		return c, defaults.SelfSignedCASecret, err
	}
	data, err := NewSelfSignedSecretData(trustDomain, now)
	if err != nil {
		return nil, "", err
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: defaults.SelfSignedCASecret},
		Type:       corev1.SecretType(defaults.SelfSignedCASecretType),
		Data:       data,
	}
	err = w.Create(ctx, secret)
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, "", fmt.Errorf("creating Secret %s/%s: %w", namespace, defaults.SelfSignedCASecret, err)
	}
	// Read back even after our own create: on AlreadyExists another
	// replica won, and everyone must sign with the root that was stored.
	c, found, err = loadSecret(ctx, r, namespace, defaults.SelfSignedCASecret, false, now)
	if err == nil && !found {
		err = fmt.Errorf("Secret %s/%s: not found right after it was created", namespace, defaults.SelfSignedCASecret)
	}
	return c, defaults.SelfSignedCASecret, err
}

// loadSecret reads one Secret's CA material; found is false when the
// Secret does not exist.
func loadSecret(ctx context.Context, r client.Reader, namespace, name string, plugged bool, now time.Time) (*CA, bool, error) {
	var s corev1.Secret
	err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &s)
	if apierrors.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading Secret %s/%s: %w", namespace, name, err)
	}
	c, err := FromSecretDataAt(s.Data, plugged, now)
	var se *SecretError
	if errors.As(err, &se) {
		se.Namespace = namespace
	}
	return c, true, err
}
