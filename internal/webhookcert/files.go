package webhookcert

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// writeFiles puts the bundle where the webhook server reads it and reports
// whether anything changed. Each file is replaced atomically (write, then
// rename) so the server's certificate watcher never reads half a file; the
// key goes first, and a watcher that reads the new key with the old
// certificate just keeps its current pair until the next event.
func writeFiles(dir string, b Bundle) (bool, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	changed := false
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{KeyKey, b.KeyPEM, 0o600},
		{CertKey, b.CertPEM, 0o644},
		{CAKey, b.CAPEM, 0o644},
	} {
		path := filepath.Join(dir, f.name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, f.data) {
			continue
		}
		if err := replaceFile(path, f.data, f.mode); err != nil {
			return changed, fmt.Errorf("writing %s: %w", path, err)
		}
		changed = true
	}
	return changed, nil
}

func replaceFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// haveFiles reports whether dir already holds a certificate and key.
func haveFiles(dir string) bool {
	for _, name := range []string{CertKey, KeyKey} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			return false
		}
	}
	return true
}
