package attrib

import (
	"context"
	"os"
	"path"
	"reflect"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestUnclean(t *testing.T) {
	for p, want := range map[string]bool{
		"/usr/bin/ls": false, "usr/bin/ls": false, "/.hidden/x": false, "/a/..b/c": false, "/a/b.": false, "/a/...": false,
		"": true, "/usr/bin/": true, "/usr//bin": true, "/./usr": true, "/usr/.": true, "/usr/../etc": true, "./usr": true, "..": true, "/a/..": true,
	} {
		if got := unclean([]byte(p)); got != want {
			t.Errorf("unclean(%q) = %v", p, got)
		}
		if !want && p != "" && path.Clean(p) != p {
			t.Errorf("%q called clean, path.Clean gives %q", p, path.Clean(p))
		}
	}
}

// An index restricted to some paths holds exactly the owners, for those
// paths, that the whole index holds, and everything else alike: on the
// debootstrap tree's real dpkg database, with merged-/usr spellings.
func TestLoadPackagesFor(t *testing.T) {
	root := os.Getenv("CRADLE_TEST_ROOTFS")
	if root == "" {
		targettest.Missing(t, "CRADLE_TEST_ROOTFS is not set")
	}
	tg, err := target.OpenRootFS(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	full, err := LoadPackages(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{"/bin/ls", "/usr/bin/dpkg", "/etc/debian_version", "/etc/passwd", "/usr/lib/os-release", "/nonexistent", "/sbin/ldconfig"}
	only, err := LoadPackagesFor(context.Background(), tg, NewPaths(paths))
	if err != nil {
		t.Fatal(err)
	}
	owned := 0
	for _, p := range paths {
		if !reflect.DeepEqual(full.Owners(p), only.Owners(p)) {
			t.Errorf("%s: restricted %+v, whole %+v", p, only.Owners(p), full.Owners(p))
		}
		if len(full.Owners(p)) > 0 {
			owned++
		}
	}
	if owned < 4 {
		t.Errorf("only %d of the paths have owners: the comparison proves little", owned)
	}
	if len(only.Files) > 2*len(paths) || only.Packages != full.Packages || !reflect.DeepEqual(only.Unknown, full.Unknown) ||
		!reflect.DeepEqual(only.Diversions, full.Diversions) || len(only.Events) != len(full.Events) {
		t.Errorf("restricted index differs beyond its files: %d files, %d packages (whole: %d)", len(only.Files), only.Packages, full.Packages)
	}
}
