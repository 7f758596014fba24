// Package corpus finds Istio's conformance manifests, kept beside the
// repository in ../shared/conformance/istio (or where
// SAILPLANE_CONFORMANCE_DIR points), for the tests that read them.
package corpus

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sailplane/sailplane/internal/envtestbin"
)

// EnvDir overrides where the corpus is.
const EnvDir = "SAILPLANE_CONFORMANCE_DIR"

// Dir returns the corpus directory, or an error saying where it looked. A
// missing corpus is an error, never a reason to skip.
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		return "", err
	}
	d := filepath.Join(root, "..", "shared", "conformance", "istio")
	if _, err := os.Stat(d); err != nil {
		return "", fmt.Errorf("conformance corpus not found at %s (set %s): %w", d, EnvDir, err)
	}
	return d, nil
}
