package target

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// hostileTree builds a root whose symlinks all try to leave it.
func hostileTree(t *testing.T) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "root")
	outside = filepath.Join(base, "secret")
	must(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	must(t, os.WriteFile(outside, []byte("host secret"), 0o600))
	must(t, os.WriteFile(filepath.Join(root, "etc", "secret"), []byte("inside"), 0o600))
	links := map[string]string{
		"etc/abs":      outside,                       // absolute path of a host file
		"etc/dotdot":   "../../secret",                // relative climb past the root
		"etc/deep":     "../../../../../../../secret", // far past the root
		"etc/dir":      "/",                           // the root itself
		"etc/loop":     "loop",
		"etc/chain":    "dotdot",
		"etc/viaroot":  "/etc/secret",
		"etc/proc":     "/proc/self/root/" + outside,
		"etc/parent":   "..",
		"etc/ancestor": "/../../..",
	}
	for name, dest := range links {
		must(t, os.Symlink(dest, filepath.Join(root, name)))
	}
	return root, outside
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestSymlinksCannotEscapeRoot(t *testing.T) {
	root, _ := hostileTree(t)
	tg, err := OpenRootFS(root)
	must(t, err)
	defer tg.Close()
	tests := []struct {
		name    string
		want    string // content expected, "" means must not exist
		wantErr error
	}{
		{"etc/abs", "", fs.ErrNotExist},
		{"etc/dotdot", "", fs.ErrNotExist},
		{"etc/deep", "", fs.ErrNotExist},
		{"etc/chain", "", fs.ErrNotExist},
		{"etc/viaroot", "inside", nil},
		{"etc/dir/etc/secret", "inside", nil},
		{"etc/parent/etc/secret", "inside", nil},
		{"etc/ancestor/etc/secret", "inside", nil},
		{"/../../etc/secret", "inside", nil},
		{"etc/proc", "", fs.ErrNotExist},
		{"etc/loop", "", ErrLoop},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ReadFile(tg, tc.name)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("ReadFile(%s) = %q, %v; want error %v", tc.name, b, err, tc.wantErr)
				}
				return
			}
			if err != nil || string(b) != tc.want {
				t.Fatalf("ReadFile(%s) = %q, %v; want %q", tc.name, b, err, tc.want)
			}
		})
	}
}

func TestLstatDoesNotFollowFinal(t *testing.T) {
	root, outside := hostileTree(t)
	tg, err := OpenRootFS(root)
	must(t, err)
	fi, err := tg.Lstat("/etc/abs")
	must(t, err)
	if fi.Mode&fs.ModeSymlink == 0 || fi.Link != outside {
		t.Fatalf("Lstat = %+v, want symlink to %s", fi, outside)
	}
	if _, err := tg.Stat("/etc/abs"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat through escaping link: %v, want not exist", err)
	}
}

func TestReadDirAndOpen(t *testing.T) {
	root, _ := hostileTree(t)
	tg, err := OpenRootFS(root)
	must(t, err)
	ents, err := tg.ReadDir("etc")
	must(t, err)
	if len(ents) != 11 || ents[0].Name != "abs" {
		t.Fatalf("ReadDir = %v", ents)
	}
	if _, err := tg.Open("etc"); err == nil {
		t.Fatal("Open of a directory succeeded")
	}
	rc, err := tg.Open("etc/secret")
	must(t, err)
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "inside" {
		t.Fatalf("got %q", b)
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{"/etc/passwd": "etc/passwd", "etc/../etc/x": "etc/x", "/": "", "../..": "", `a\x2db`: `a\x2db`} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSpecialFilesAreNotOpened(t *testing.T) {
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	if err := syscallMkfifo(filepath.Join(root, "etc", "fifo")); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	tg, err := OpenRootFS(root)
	must(t, err)
	defer tg.Close()
	// Would block for ever if the FIFO were opened for reading.
	if _, err := ReadFile(tg, "etc/fifo"); !errors.Is(err, errNotRegular) {
		t.Fatalf("ReadFile(fifo) = %v, want not a regular file", err)
	}
	if _, err := ReadFile(tg, "etc"); err == nil {
		t.Fatal("ReadFile(dir) succeeded")
	}
}
