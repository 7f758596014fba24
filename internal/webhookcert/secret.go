package webhookcert

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// store reads and writes the Secret. Reads go to the API server, not a
// cache: they happen before the manager's caches start, and rarely.
type store struct {
	reader client.Reader
	writer client.Client
	opts   Options
	log    logr.Logger
}

func (s *store) key() client.ObjectKey {
	return client.ObjectKey{Namespace: s.opts.Namespace, Name: s.opts.SecretName}
}

// load returns the Secret and its bundle; a missing Secret is (nil, {}, nil).
func (s *store) load(ctx context.Context) (*corev1.Secret, Bundle, error) {
	sec := &corev1.Secret{}
	err := s.reader.Get(ctx, s.key(), sec)
	if apierrors.IsNotFound(err) {
		return nil, Bundle{}, nil
	}
	if err != nil {
		return nil, Bundle{}, fmt.Errorf("reading Secret %s: %w", s.key(), err)
	}
	return sec, Bundle{CertPEM: sec.Data[CertKey], KeyPEM: sec.Data[KeyKey], CAPEM: sec.Data[CAKey]}, nil
}

// errRaced means another replica wrote the Secret first; read it again.
var errRaced = errors.New("the Secret changed meanwhile")

// create stores a new bundle. Create is atomic: when replicas start
// together exactly one wins and the others adopt its certificate.
func (s *store) create(ctx context.Context, b Bundle) error {
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: s.opts.Namespace,
			Name:      s.opts.SecretName,
			Labels:    map[string]string{"app.kubernetes.io/name": "sailplane", "app.kubernetes.io/component": "webhook-cert"},
		},
		Type: corev1.SecretTypeTLS,
		Data: secretData(b),
	}
	err := s.writer.Create(ctx, sec)
	if apierrors.IsAlreadyExists(err) {
		return errRaced
	}
	if err != nil {
		return fmt.Errorf("creating Secret %s: %w", s.key(), err)
	}
	s.log.Info("created the webhook serving certificate", "secret", s.key().String())
	return nil
}

// update replaces the bundle of sec, failing with errRaced if sec is no
// longer the stored version (its resourceVersion guards the write).
func (s *store) update(ctx context.Context, sec *corev1.Secret, b Bundle) error {
	sec = sec.DeepCopy()
	sec.Data = secretData(b)
	err := s.writer.Update(ctx, sec)
	if apierrors.IsConflict(err) {
		return errRaced
	}
	if err != nil {
		return fmt.Errorf("updating Secret %s: %w", s.key(), err)
	}
	s.log.Info("renewed the webhook serving certificate", "secret", s.key().String())
	return nil
}

func secretData(b Bundle) map[string][]byte {
	return map[string][]byte{CertKey: b.CertPEM, KeyKey: b.KeyPEM, CAKey: b.CAPEM}
}

// ensure returns a bundle that can be served now, creating the Secret when
// it is missing and replacing its content when it cannot be served
// (expired, wrong names, damaged). A pair that is merely due for renewal is
// kept: the leader renews it in the order that keeps every replica trusted.
func (s *store) ensure(ctx context.Context) (Bundle, error) {
	names, now := s.opts.DNSNames(), s.opts.Now()
	for range 5 {
		sec, b, err := s.load(ctx)
		if err != nil {
			return Bundle{}, err
		}
		if sec != nil {
			_, err := b.Check(names, now, s.opts.RenewBefore)
			if err == nil {
				return b, nil
			}
			s.log.Info("the stored webhook certificate cannot be served; replacing it", "reason", err.Error())
		}
		nb, err := Renewed(b, names, now, s.opts.Validity)
		if err != nil {
			return Bundle{}, err
		}
		if sec == nil {
			err = s.create(ctx, nb)
		} else {
			err = s.update(ctx, sec, nb)
		}
		if errors.Is(err, errRaced) {
			continue
		}
		return nb, err
	}
	return Bundle{}, fmt.Errorf("Secret %s kept changing while this replica tried to set it up", s.key())
}
