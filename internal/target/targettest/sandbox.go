package targettest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Sandbox is a throwaway copy-on-write view of the debootstrap fixture:
// an overlay mount whose lower layer is CRADLE_TEST_ROOTFS, so
// differential tests can write configurations into it, run the tree's own
// programs on them (sshd -T, sudo -l, systemd-sysctl, …) and read the
// same tree with cradle, while the shared fixture is never modified.
type Sandbox struct {
	// Root is the merged tree: write through it (deletions become
	// whiteouts) and open it with target.OpenRootFS.
	Root string
}

// NewSandbox mounts a sandbox over the fixture, unmounted at test end. It
// needs root and the fixture: without them the test is skipped, or fails
// when CRADLE_REQUIRE_FIXTURES=1 (as in CI).
func NewSandbox(t testing.TB) *Sandbox {
	t.Helper()
	base := os.Getenv("CRADLE_TEST_ROOTFS")
	required := os.Getenv("CRADLE_REQUIRE_FIXTURES") == "1"
	switch {
	case base == "" && required:
		t.Fatal("CRADLE_TEST_ROOTFS is not set (run scripts/fixture-rootfs.sh)")
	case base == "":
		t.Skip("CRADLE_TEST_ROOTFS not set")
	case os.Geteuid() != 0 && required:
		t.Fatal("differential tests run as root (overlay mount, chroot)")
	case os.Geteuid() != 0:
		t.Skip("needs root (overlay mount, chroot)")
	}
	tmp := t.TempDir()
	up, work, mnt := filepath.Join(tmp, "up"), filepath.Join(tmp, "work"), filepath.Join(tmp, "root")
	for _, d := range []string{up, work, mnt} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	opts := "lowerdir=" + base + ",upperdir=" + up + ",workdir=" + work
	if out, err := exec.Command("mount", "-t", "overlay", "overlay", "-o", opts, mnt).CombinedOutput(); err != nil {
		if required {
			t.Fatalf("overlay mount over the fixture: %v\n%s", err, out)
		}
		t.Skipf("overlay mount over the fixture: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		// Lazy, so a program a failed test left running cannot keep the
		// mount (and the temporary directory) alive.
		if out, err := exec.Command("umount", "-l", mnt).CombinedOutput(); err != nil {
			t.Errorf("unmount sandbox: %v\n%s", err, out)
		}
	})
	return &Sandbox{Root: mnt}
}

// Write puts body at the root-relative path rel with mode, creating
// parent directories.
func (s *Sandbox) Write(t testing.TB, rel, body string, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(s.Root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

// Mkdir creates the directory rel and its parents (programs such as sshd
// refuse to run without their runtime directories).
func (s *Sandbox) Mkdir(t testing.TB, rel string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(s.Root, filepath.FromSlash(rel)), mode); err != nil {
		t.Fatal(err)
	}
}

// Remove deletes rel (a file or a whole directory) from the sandbox.
func (s *Sandbox) Remove(t testing.TB, rel string) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(s.Root, filepath.FromSlash(rel))); err != nil {
		t.Fatal(err)
	}
}

// Missing ends a test that lacks what it compares with (a program in the
// fixture, a namespace): skipped on a developer's machine, failed when
// fixtures are required (CRADLE_REQUIRE_FIXTURES=1, as in CI), since a
// differential test that did not run proves nothing.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CRADLE_REQUIRE_FIXTURES") == "1" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// Has reports whether the fixture has the program at the root-relative
// path rel, so a test can say which program it lacks.
func (s *Sandbox) Has(rel string) bool {
	_, err := os.Stat(filepath.Join(s.Root, filepath.FromSlash(rel)))
	return err == nil
}

// Run runs argv chrooted into the sandbox, with a clean environment and a
// one-minute bound, and returns its standard output and standard error.
// The error is the program's exit status, which differential tests often
// compare too.
func (s *Sandbox) Run(ctx context.Context, argv ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "chroot", append([]string{s.Root}, argv...)...)
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.Bytes(), e.Bytes(), err
}
