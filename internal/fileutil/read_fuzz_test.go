package fileutil

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadBounded: a file within the limit reads back exactly; a larger
// one is refused, never returned cut short.
func FuzzReadBounded(f *testing.F) {
	f.Add([]byte("key: value\n"), int64(64))
	f.Add([]byte("0123456789"), int64(9))
	f.Add([]byte{}, int64(0))
	f.Fuzz(func(t *testing.T, content []byte, limit int64) {
		if limit < 0 || limit > 1<<20 {
			return
		}
		p := filepath.Join(t.TempDir(), "in")
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := ReadBounded(p, limit)
		switch {
		case int64(len(content)) <= limit && (err != nil || !bytes.Equal(b, content)):
			t.Fatalf("within the limit: %q, %v", b, err)
		case int64(len(content)) > limit && err == nil:
			t.Fatalf("%d bytes over a limit of %d were returned", len(content), limit)
		}
	})
}
