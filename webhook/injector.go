// Package webhook is the admission glue of the sidecar injector: it decodes
// the AdmissionReview, asks internal/inject what the pod should become and
// answers with a JSON patch. The decisions live in internal/inject, so
// sailctl kube-inject gives the same pods.
package webhook

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/sailplane/sailplane/internal/inject"
)

// Injector handles pod CREATE admissions.
type Injector struct {
	Settings inject.Settings
	// Namespaces reads the pod's namespace for its labels (the manager's
	// cached client in production).
	Namespaces client.Reader
	Decoder    admission.Decoder
	Log        logr.Logger
}

var _ admission.Handler = (*Injector)(nil)

// Handle never panics and never blocks a pod it has no business with: any
// request that is not a pod creation is allowed untouched.
func (i *Injector) Handle(ctx context.Context, req admission.Request) (resp admission.Response) {
	defer func() {
		if r := recover(); r != nil {
			i.Log.Error(fmt.Errorf("%v", r), "injector panicked", "stack", string(debug.Stack()))
			resp = i.cannotDecide(fmt.Errorf("internal error in the injector: %v", r))
		}
	}()
	if req.Operation != admissionv1.Create || req.Kind.Group != "" || req.Kind.Kind != "Pod" || req.SubResource != "" {
		return admission.Allowed("not a pod creation")
	}
	pod := &corev1.Pod{}
	if err := i.Decoder.Decode(req, pod); err != nil {
		return admission.Errored(http.StatusBadRequest, fmt.Errorf("decoding the pod: %w", err))
	}
	ns, err := i.namespace(ctx, req.Namespace)
	if err != nil {
		return i.cannotDecide(err)
	}
	res := inject.Inject(pod, inject.Source{Namespace: ns}, i.Settings)
	log := i.Log.WithValues("namespace", req.Namespace, "pod", podName(pod), "uid", req.UID)
	if res.Rejected {
		log.Info("rejected pod", "reason", res.Err.Error())
		return admission.Denied(fmt.Sprintf("sailplane sidecar injector: %v (see --injection-failure-policy)", res.Err))
	}
	log.V(1).Info("admitted pod", "status", res.Status)
	out, err := patchResponse(pod, res.Pod)
	if err != nil {
		return i.cannotDecide(err)
	}
	if res.Err != nil {
		out = out.WithWarnings("sailplane: pod admitted without a sidecar: " + res.Err.Error())
	}
	return out
}

// namespace reads the labels of the pod's namespace. The name comes from
// the request, not the pod: a pod created by a ReplicaSet has none yet.
func (i *Injector) namespace(ctx context.Context, name string) (inject.Namespace, error) {
	if name == "" {
		return inject.Namespace{}, nil // Decide refuses it with a reason
	}
	ns := &corev1.Namespace{}
	err := i.Namespaces.Get(ctx, client.ObjectKey{Name: name}, ns)
	if apierrors.IsNotFound(err) {
		return inject.Namespace{Name: name}, nil
	}
	if err != nil {
		return inject.Namespace{}, fmt.Errorf("reading namespace %s: %w", name, err)
	}
	return inject.Namespace{Name: name, Labels: ns.Labels}, nil
}

// cannotDecide answers when the injector itself failed: under Fail the pod
// is refused (the API server shows the message); under Ignore it is
// admitted unchanged, like a webhook that is down with failurePolicy Ignore.
func (i *Injector) cannotDecide(err error) admission.Response {
	i.Log.Error(err, "cannot decide on a pod")
	if i.Settings.FailurePolicy == inject.FailurePolicyIgnore {
		return admission.Allowed("").WithWarnings("sailplane: pod admitted without a sidecar: " + err.Error())
	}
	return admission.Errored(http.StatusInternalServerError, err)
}

func podName(pod *corev1.Pod) string {
	if pod.Name != "" {
		return pod.Name
	}
	return pod.GenerateName + "*"
}
