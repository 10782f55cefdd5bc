package target

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The fast path answers exactly as the resolver does, or leaves the name
// to it: every name of a tree with symlinks (relative, absolute, escaping,
// looping, dangling), "..", special files, trailing slashes and missing
// components is asked of both, with the same results and errors. The
// debootstrap fixture (CRADLE_TEST_ROOTFS) adds a real system's names.
func TestBeneathMatchesResolver(t *testing.T) {
	dir := t.TempDir()
	mk := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, rel string) {
		if err := os.Symlink(target, filepath.Join(dir, rel)); err != nil {
			t.Fatal(err)
		}
	}
	mk("etc/passwd", "root:x:0:0::/root:/bin/sh\n")
	mk("usr/lib/systemd/system/a.service", "[Unit]\n")
	mk("usr/bin/tool", "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(dir, "usr/bin/tool"), 0o4755); err != nil {
		t.Fatal(err)
	}
	link("usr/lib", "lib")
	link("/usr/bin", "bin")
	link("../../../../etc/passwd", "etc/escape")
	link("loop2", "etc/loop1")
	link("loop1", "etc/loop2")
	link("nowhere", "etc/dangling")
	if err := syscallMkfifo(filepath.Join(dir, "etc/fifo")); err != nil {
		t.Fatal(err)
	}
	names := []string{"", "/", ".", "/etc", "/etc/", "/etc/passwd", "etc/passwd", "/etc//passwd", "/etc/./passwd",
		"/etc/passwd/", "/etc/passwd/x", "/etc/missing", "/missing/x", "/lib/systemd/system/a.service",
		"/bin/tool", "/usr/bin/tool", "/etc/escape", "/etc/loop1", "/etc/dangling", "/etc/fifo",
		"/usr/../etc/passwd", "/../../etc/passwd", "/lib", "/bin", "/usr/lib/systemd/system"}
	compare(t, dir, names)
	d, err := openDir(KindRootFS, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, n := range []string{"/etc/passwd", "/usr/lib/systemd/system/a.service", "/", "/etc/escape"} {
		if _, ok := d.fast.lstat(n); !ok {
			t.Errorf("the fast path left %s to the resolver", n)
		}
	}
	for _, n := range []string{"/lib/systemd/system/a.service", "/usr/../etc/passwd", "/etc/missing"} {
		if _, ok := d.fast.lstat(n); ok {
			t.Errorf("the fast path answered %s", n)
		}
	}

	if root := os.Getenv("CRADLE_TEST_ROOTFS"); root != "" {
		var more []string
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && len(more) < 20000 {
				rel, _ := filepath.Rel(root, p)
				more = append(more, "/"+filepath.ToSlash(rel))
			}
			return nil
		})
		compare(t, root, more)
	}
}

func compare(t *testing.T, dir string, names []string) {
	t.Helper()
	fast, err := openDir(KindRootFS, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	if fast.fast == nil {
		t.Skip("no openat2 here")
	}
	slow, err := openDir(KindRootFS, dir)
	if err != nil {
		t.Fatal(err)
	}
	slow.fast.close()
	slow.fast = nil
	defer slow.Close()
	for _, n := range names {
		a, aerr := fast.Lstat(n)
		b, berr := slow.Lstat(n)
		same(t, "Lstat", n, a, b, aerr, berr)
		a, aerr = fast.Stat(n)
		b, berr = slow.Stat(n)
		same(t, "Stat", n, a, b, aerr, berr)
		la, aerr := fast.Readlink(n)
		lb, berr := slow.Readlink(n)
		same(t, "Readlink", n, la, lb, aerr, berr)
		da, aerr := fast.ReadDir(n)
		db, berr := slow.ReadDir(n)
		same(t, "ReadDir", n, da, db, aerr, berr)
		ca, aerr := readAll(fast, n)
		cb, berr := readAll(slow, n)
		same(t, "Open", n, ca, cb, aerr, berr)
	}
}

func readAll(d *dirTarget, name string) (string, error) {
	f, err := d.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<16))
	return string(b), err
}

func same(t *testing.T, op, name string, a, b any, aerr, berr error) {
	t.Helper()
	if (aerr == nil) != (berr == nil) || (aerr != nil && aerr.Error() != berr.Error()) {
		t.Errorf("%s(%q): error %v, resolver %v", op, name, aerr, berr)
		return
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("%s(%q): %+v, resolver %+v", op, name, a, b)
	}
}
