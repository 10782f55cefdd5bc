//go:build unix

package fileutil

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadBoundedRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	reg := filepath.Join(dir, "reg")
	if err := os.WriteFile(reg, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path  string
		limit int64
		want  string // "" = ok
	}{
		{reg, 5, ""},
		{reg, 4, "larger than 4 bytes"},
		{fifo, 5, "not a regular file (a FIFO)"}, // returns at once: opened non-blocking
		{dir, 5, "not a regular file (a directory)"},
		{"/dev/null", 5, "not a regular file (a character device)"},
		{filepath.Join(dir, "missing"), 5, "no such file"},
	}
	for _, tc := range tests {
		b, err := ReadBounded(tc.path, tc.limit)
		switch {
		case tc.want == "" && (err != nil || string(b) != "hello"):
			t.Errorf("%s: %q, %v", tc.path, b, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.path, err, tc.want)
		}
	}
	if _, err := ReadBounded(filepath.Join(dir, "missing"), 1); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
	if _, err := ReadBounded(fifo, 1); !errors.Is(err, ErrNotRegular) {
		t.Errorf("fifo: %v", err)
	}
}

func TestTempFileHasNoName(t *testing.T) {
	dir := t.TempDir()
	f, release, err := TempFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("spooled"), 100); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("temporary file visible: %v", ents)
	}
	b, err := io.ReadAll(io.NewSectionReader(f, 100, 7))
	if err != nil || string(b) != "spooled" {
		t.Errorf("read back %q, %v", b, err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
}
