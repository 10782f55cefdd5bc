package target

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestReadFileLimit(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "etc"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "etc", "ten"), []byte("0123456789"), 0o644))
	tg, err := OpenRootFS(dir)
	must(t, err)
	defer tg.Close()
	if b, err := ReadFileLimit(tg, "etc/ten", 10); err != nil || string(b) != "0123456789" {
		t.Fatalf("at the limit: %q, %v", b, err)
	}
	_, err = ReadFileLimit(tg, "etc/ten", 9)
	var pe *fs.PathError
	if !errors.Is(err, ErrTooLarge) || !errors.As(err, &pe) || pe.Path != "/etc/ten" {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := ReadFileLimit(tg, "etc/missing", 9); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
}
