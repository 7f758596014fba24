package inject

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/yaml"

	"github.com/sailplane/sailplane/internal/defaults"
)

// TestManifestsGolden runs manual injection over testdata/manifests/<case>.in.yaml
// and compares the manifest and the per-object reports with <case>.out.yaml
// and <case>.report.txt.
func TestManifestsGolden(t *testing.T) {
	ins, _ := filepath.Glob("testdata/manifests/*.in.yaml")
	if len(ins) == 0 {
		t.Fatal("no manifest cases")
	}
	for _, in := range ins {
		base := strings.TrimSuffix(in, ".in.yaml")
		t.Run(filepath.Base(base), func(t *testing.T) {
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out, reports, err := InjectManifests(bytes.NewReader(raw), testSettings())
			if err != nil {
				t.Fatal(err)
			}
			var rep bytes.Buffer
			for _, r := range reports {
				rep.WriteString(r.Object + ": " + r.Status + "\n")
			}
			compareGolden(t, base+".out.yaml", out)
			compareGolden(t, base+".report.txt", rep.Bytes())

			// Manual injection of its own output changes nothing.
			again, _, err := InjectManifests(bytes.NewReader(out), testSettings())
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("injecting the output again changed it (err %v)", err)
			}
		})
	}
}

// TestManifestsMatchInject: a Deployment's injected template is exactly
// what Inject makes of the same pod, which is what the webhook admits.
func TestManifestsMatchInject(t *testing.T) {
	tmpl := corev1.PodTemplateSpec{Spec: appPod().Spec}
	tmpl.Labels = appPod().Labels
	d := appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: tmpl}}
	d.APIVersion, d.Kind, d.Name, d.Namespace = "apps/v1", "Deployment", "shop", "shop"
	raw, _ := yaml.Marshal(d)
	out, _, err := InjectManifests(bytes.NewReader(raw), testSettings())
	if err != nil {
		t.Fatal(err)
	}
	var got appsv1.Deployment
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := Inject(&corev1.Pod{ObjectMeta: tmpl.ObjectMeta, Spec: tmpl.Spec}, enabled, testSettings()).Pod
	if !equality.Semantic.DeepEqual(got.Spec.Template.Spec, want.Spec) {
		t.Error("kube-inject's pod spec differs from the webhook's")
	}
	if len(got.Spec.Template.Spec.Containers) != 2 || got.Spec.Template.Spec.Containers[1].Name != defaults.ProxyContainerName {
		t.Errorf("template not injected: %+v", got.Spec.Template.Spec.Containers)
	}
}

func TestManifestsErrors(t *testing.T) {
	bad := "apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {sidecar.istio.io/proxyCPU: lots}}\nspec: {containers: [{name: a, image: b}]}\n"
	_, _, err := InjectManifests(strings.NewReader(bad), testSettings())
	if err == nil || !strings.Contains(err.Error(), "Pod p") || !strings.Contains(err.Error(), AnnotationProxyCPU) {
		t.Errorf("got %v, want an error naming the pod and the annotation", err)
	}
	s := testSettings()
	s.FailurePolicy = FailurePolicyIgnore
	out, reports, err := InjectManifests(strings.NewReader(bad), s)
	if err != nil || string(out) != bad || len(reports) != 1 || !strings.Contains(reports[0].Status, "lots") {
		t.Errorf("Ignore: got %v %q %v, want the pod unchanged and the reason reported", err, out, reports)
	}
	typo := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicaz: 2}\n"
	if _, _, err := InjectManifests(strings.NewReader(typo), testSettings()); err == nil || !strings.Contains(err.Error(), "replicaz") {
		t.Errorf("an unknown field was not reported (it would be dropped): %v", err)
	}
	if _, _, err := InjectManifests(strings.NewReader("a: [\n"), testSettings()); err == nil {
		t.Error("malformed YAML accepted")
	}
}
