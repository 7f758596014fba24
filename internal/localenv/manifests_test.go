package localenv

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDecodeDocument(t *testing.T) {
	tests := []struct {
		name      string
		doc       string
		wantNames []string
		wantErr   string
	}{
		{name: "comments only", doc: "# nothing here\n"},
		{name: "empty", doc: ""},
		{
			name:      "one object",
			doc:       "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n",
			wantNames: []string{"a"},
		},
		{
			name: "list is flattened",
			doc: "apiVersion: v1\nkind: List\nitems:\n" +
				"- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n" +
				"- {apiVersion: v1, kind: Namespace, metadata: {name: b}}\n",
			wantNames: []string{"a", "b"},
		},
		{name: "kind missing", doc: "apiVersion: v1\nmetadata:\n  name: a\n", wantErr: "Kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := decodeDocument([]byte(tt.doc))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, o := range objs {
				names = append(names, o.GetName())
			}
			if !slices.Equal(names, tt.wantNames) {
				t.Errorf("names = %v, want %v", names, tt.wantNames)
			}
		})
	}
}

func TestManifestFilesSkipsKustomizationAndNonYAML(t *testing.T) {
	dir := filepath.Join("testdata", "manifests")
	files, err := manifestFiles([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "reviews.yaml")}
	if !slices.Equal(files, want) {
		t.Errorf("files = %v, want %v", files, want)
	}
	if _, err := manifestFiles([]string{filepath.Join(dir, "missing.yaml")}); err == nil {
		t.Error("a missing path gave no error")
	}
}

func TestReadManifestsNamesDocuments(t *testing.T) {
	ms, err := readManifests(filepath.Join("testdata", "manifests", "reviews.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.source+": "+m.obj.GetKind())
	}
	file := filepath.Join("testdata", "manifests", "reviews.yaml")
	want := []string{file + " document 1: VirtualService", file + " document 2: DestinationRule"}
	if !slices.Equal(got, want) {
		t.Errorf("manifests = %v, want %v", got, want)
	}
}
