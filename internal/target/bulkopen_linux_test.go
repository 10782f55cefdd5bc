package target

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The bulk open follows no symlink: a path whose directory became a
// symlink after the walk (even one staying inside the root) is refused,
// where the resolver would follow it.
func TestBulkOpenFollowsNoSymlink(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"usr/bin", "etc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "usr/bin/ls"), []byte("ELF ls"), 0o755); err != nil {
		t.Fatal(err)
	}
	for link, dest := range map[string]string{"bin": "usr/bin", "etc/abs": "/etc/passwd", "usr/bin/dir": "ls"} {
		if err := os.Symlink(dest, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	tg, err := OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	op, err := OpenBulk(tg)
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	h, err := op.Open("usr/bin/ls")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(h)
	fi, ok, err := h.Stat()
	h.Close()
	if string(b) != "ELF ls" {
		t.Errorf("read %q", b)
	}
	if err != nil || !ok || fi.Size != 6 || fi.Mode.Perm() != 0o755 || fi.Path != "usr/bin/ls" {
		t.Errorf("Stat = %+v, %v, %v", fi, ok, err)
	}
	for _, rel := range []string{"bin/ls", "etc/abs", "usr/bin/dir", "../x"} {
		if h, err := op.Open(rel); err == nil {
			h.Close()
			t.Errorf("%s opened through a symlink or outside the root", rel)
		}
	}
}

// The bulk open refuses what is not a regular file (a node swapped in
// after the caller's Lstat) without blocking on a FIFO.
func TestBulkOpenRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	if err := unix.Mknod(filepath.Join(dir, "dev"), unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3))); err != nil {
		t.Skipf("mknod (needs root): %v", err)
	}
	if err := unix.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	tg, err := OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	op, err := OpenBulk(tg)
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	for _, rel := range []string{"dev", "fifo", "d"} {
		h, err := op.Open(rel)
		if err == nil {
			h.Close()
			t.Errorf("%s opened", rel)
		} else if !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("%s: %v", rel, err)
		}
	}
}

// Readlink reads links where the walk saw them, never through another
// symlink or outside the root, and long targets whole.
func TestBulkReadlink(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "usr/bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x/", 600) + "end"
	links := map[string]string{"bin": "usr/bin", "usr/bin/dir": "ls", "usr/bin/long": long, "usr/abs": "/etc/passwd"}
	for link, dest := range links {
		if err := os.Symlink(dest, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	tg, err := OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	op, err := OpenBulk(tg)
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	for link, dest := range links {
		if got, err := op.Readlink(link); err != nil || got != dest {
			t.Errorf("Readlink(%s) = %q, %v", link, got, err)
		}
	}
	for _, rel := range []string{"bin/dir", "../x", "usr/bin", "usr/none"} {
		if got, err := op.Readlink(rel); err == nil {
			t.Errorf("Readlink(%s) = %q, want an error", rel, got)
		}
	}
}
