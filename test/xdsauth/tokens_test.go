package xdsauth

import (
	"context"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/xdsauth"
)

// minTokenSeconds is the shortest lifetime TokenRequest grants.
const minTokenSeconds = 600

// serviceAccount creates ns/name unless it exists.
func serviceAccount(t *testing.T, ns, name string) {
	t.Helper()
	_, err := kube.CoreV1().ServiceAccounts(ns).Create(context.Background(),
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// podOf creates a pod running as ns/sa. It stays Pending (no kubelet); the
// API server binds tokens to it all the same.
func podOf(t *testing.T, ns, sa, name string) *corev1.Pod {
	t.Helper()
	serviceAccount(t, ns, sa)
	pod, err := kube.CoreV1().Pods(ns).Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			ServiceAccountName: sa,
			Containers:         []corev1.Container{{Name: "app", Image: "app:1"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return pod
}

// boundToken asks the API server for a token of the pod's service
// account, bound to the pod, for audiences (none = the API server's own).
func boundToken(t *testing.T, pod *corev1.Pod, audiences ...string) string {
	t.Helper()
	tr, err := kube.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(context.Background(), pod.Spec.ServiceAccountName,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
			Audiences:         audiences,
			ExpirationSeconds: ptr.To[int64](minTokenSeconds),
			BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
		}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token
}

// xdsReviewer reviews tokens for the xDS port's audience.
func xdsReviewer(opts xdsauth.TokenReviewerOptions) *xdsauth.TokenReviewer {
	opts.Audience = defaults.TokenAudience
	return xdsauth.NewTokenReviewer(kube.AuthenticationV1().TokenReviews(), opts)
}
