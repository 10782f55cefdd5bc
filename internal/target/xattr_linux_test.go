package target

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// Extended attributes are read without following symlinks: a link to a
// file outside the root yields the link's own (none), a directory
// symlink among the leading components is resolved inside the root.
func TestXattrsConfined(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "real"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "real/f"), nil, 0o644))
	must(os.WriteFile(filepath.Join(outside, "secret"), nil, 0o644))
	if err := unix.Setxattr(filepath.Join(dir, "real/f"), "user.cradle", []byte("in"), 0); err != nil {
		t.Skipf("no user xattrs on this filesystem: %v", err)
	}
	must(unix.Setxattr(filepath.Join(outside, "secret"), "user.cradle", []byte("out"), 0))
	must(os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "leak")))
	must(os.Symlink("/real", filepath.Join(dir, "abs")))
	must(os.Symlink(outside, filepath.Join(dir, "out")))
	tg, err := OpenRootFS(dir)
	must(err)
	defer tg.Close()
	for name, want := range map[string]string{"real/f": "in", "abs/f": "in", "leak": "", "": ""} {
		m, err := Xattrs(tg, name)
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if string(m["user.cradle"]) != want {
			t.Errorf("%q: user.cradle = %q, want %q", name, m["user.cradle"], want)
		}
	}
	// out/secret resolves to /tmp/... inside the root: not there.
	if _, err := Xattrs(tg, "out/secret"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("out/secret: %v, want not exist", err)
	}
}

func TestXattrsImageNotSupported(t *testing.T) {
	op := &BulkOpener{}
	if _, err := op.Xattrs("etc/passwd"); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("err = %v, want ErrNotSupported", err)
	}
}
