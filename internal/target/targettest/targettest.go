// Package targettest builds small target trees for tests: a map of
// root-relative paths to contents, where a body "->dest" makes a symlink.
package targettest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
)

// Dir writes files under a new temporary directory and returns it.
func Dir(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if l, ok := strings.CutPrefix(body, "->"); ok {
			if err := os.Symlink(l, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Tree opens files as an offline root filesystem, closed at test end.
func Tree(t testing.TB, files map[string]string) target.Target {
	t.Helper()
	return open(t, target.OpenRootFS, Dir(t, files))
}

// LiveTree opens files as a live root: its proc/ is read as runtime state.
func LiveTree(t testing.TB, files map[string]string) target.Target {
	t.Helper()
	return open(t, target.OpenLiveRoot, Dir(t, files))
}

// Open is Tree or LiveTree depending on live.
func Open(t testing.TB, live bool, files map[string]string) target.Target {
	t.Helper()
	if live {
		return LiveTree(t, files)
	}
	return Tree(t, files)
}

func open(t testing.TB, fn func(string) (target.Target, error), dir string) target.Target {
	t.Helper()
	tg, err := fn(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// Fixture opens the shared debootstrap tree named by CRADLE_TEST_ROOTFS
// (scripts/fixture-rootfs.sh), closed at test end. Without it the test is
// skipped, or fails when CRADLE_REQUIRE_FIXTURES=1 (as in CI).
func Fixture(t testing.TB) target.Target {
	t.Helper()
	root := os.Getenv("CRADLE_TEST_ROOTFS")
	if root == "" {
		if os.Getenv("CRADLE_REQUIRE_FIXTURES") == "1" {
			t.Fatal("CRADLE_TEST_ROOTFS is not set (run scripts/fixture-rootfs.sh)")
		}
		t.Skip("CRADLE_TEST_ROOTFS not set")
	}
	return open(t, target.OpenRootFS, root)
}
