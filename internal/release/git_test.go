package release

import (
	"os/exec"
	"strings"
	"testing"
)

func TestVersionFrom(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		desc      string
		described bool
		snapshot  bool
		want      string // "" means an error
	}{
		{"", false, true, "0.0.0-snapshot+0123456789ab"},
		{"", false, false, ""},
		{"v1.2.3-0-g0123456", true, false, "1.2.3"},
		{"v1.2.3-0-g0123456", true, true, "1.2.3"},
		{"v1.3.0-rc.1-0-g0123456", true, false, "1.3.0-rc.1"},
		{"v1.2.3-5-g0123456", true, true, "1.2.4-snapshot.5+0123456789ab"},
		{"v1.2.3-5-g0123456", true, false, ""},
		{"v1.3.0-rc.1-2-g0123456", true, true, "1.3.0-rc.1.snapshot.2+0123456789ab"},
		{"v1.2-0-g0123456", true, true, ""},
		{"vfoo-0-g0123456", true, true, ""},
	} {
		got, err := versionFrom(tc.desc, tc.described, rev, tc.snapshot)
		if (err != nil) != (tc.want == "") || got != tc.want {
			t.Errorf("versionFrom(%q, %t, snapshot %t) = %q, %v; want %q", tc.desc, tc.described, tc.snapshot, got, err, tc.want)
		}
	}
}

// TestCradleLeavesPackagingOut keeps the release tool's dependencies out
// of the cradle binary: they are only in cmd/cradle-release.
func TestCradleLeavesPackagingOut(t *testing.T) {
	out, err := exec.Command(goCommand(), "list", "-deps", "../../cmd/cradle").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, bad := range []string{"github.com/goreleaser/", "github.com/google/go-containerregistry/", "github.com/spf13/cobra/doc", "/internal/release"} {
			if strings.Contains(pkg, bad) {
				t.Errorf("cmd/cradle depends on %s", pkg)
			}
		}
	}
}
