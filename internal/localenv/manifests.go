package localenv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// manifest is one object read from a file, with where it came from for
// error messages.
type manifest struct {
	source string // "<file> document <n>"
	obj    *unstructured.Unstructured
}

// manifestFiles expands files and directories (recursively, in lexical
// order) into the YAML and JSON files to apply.
func manifestFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("manifest path: %w", err)
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && isManifest(d.Name()) {
				files = append(files, path)
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("listing manifests under %s: %w", p, err)
		}
	}
	return files, nil
}

// isManifest picks the files a directory walk applies. Kustomize's own file
// is not a Kubernetes object (config/samples carries one), so it is skipped.
func isManifest(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return !strings.HasPrefix(strings.ToLower(name), "kustomization.")
	}
	return false
}

// readManifests decodes every document of a multi-document YAML (or JSON)
// file; v1 Lists are flattened. Empty documents are skipped and not counted,
// so "document n" in errors is the n-th document that holds something.
func readManifests(file string) ([]manifest, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(f))
	var out []manifest
	n := 0
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: reading after document %d: %w", file, n, err)
		}
		if isEmptyDocument(doc) {
			continue
		}
		n++
		source := fmt.Sprintf("%s document %d", file, n)
		objs, err := decodeDocument(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		for _, obj := range objs {
			out = append(out, manifest{source: source, obj: obj})
		}
	}
}

// isEmptyDocument is true for documents of only comments, blank lines or
// "---": YAML reads them as null.
func isEmptyDocument(doc []byte) bool {
	data, err := utilyaml.ToJSON(doc)
	if err != nil {
		return false // let decodeDocument report it
	}
	data = bytes.TrimSpace(data)
	return len(data) == 0 || bytes.Equal(data, []byte("null"))
}

// decodeDocument turns one YAML document into objects. It goes through JSON
// and Unstructured's own decoder so integers stay int64, as the API
// machinery expects.
func decodeDocument(doc []byte) ([]*unstructured.Unstructured, error) {
	data, err := utilyaml.ToJSON(doc)
	if err != nil {
		return nil, err
	}
	if isEmptyDocument(doc) {
		return nil, nil
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	if !obj.IsList() {
		return []*unstructured.Unstructured{obj}, nil
	}
	var items []*unstructured.Unstructured
	err = obj.EachListItem(func(item runtime.Object) error {
		items = append(items, item.(*unstructured.Unstructured))
		return nil
	})
	return items, err
}
