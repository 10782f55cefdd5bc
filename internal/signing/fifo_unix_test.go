//go:build unix

package signing

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/cradle-cra/cradle/internal/fileutil"
)

// A FIFO given as a key file is refused at once, not waited on.
func TestLoadPrivateRefusesFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "key.fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip(err)
	}
	if _, err := LoadPrivate(p); !errors.Is(err, fileutil.ErrNotRegular) {
		t.Fatalf("LoadPrivate(FIFO) = %v", err)
	}
	if _, err := LoadPublic(p); !errors.Is(err, fileutil.ErrNotRegular) {
		t.Fatalf("LoadPublic(FIFO) = %v", err)
	}
}
