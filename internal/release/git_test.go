package release

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestVersionFrom(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		desc      string
		described bool
		snapshot  bool
		modified  bool
		want      string // "" means an error
	}{
		{"", false, true, false, "0.0.0-snapshot+0123456789ab"},
		{"", false, false, false, ""},
		{"v1.2.3-0-g0123456", true, false, false, "1.2.3"},
		{"v1.2.3-0-g0123456", true, true, false, "1.2.3"},
		{"v1.3.0-rc.1-0-g0123456", true, false, false, "1.3.0-rc.1"},
		{"v1.2.3-5-g0123456", true, true, false, "1.2.4-snapshot.5+0123456789ab"},
		{"v1.2.3-5-g0123456", true, false, false, ""},
		{"v1.3.0-rc.1-2-g0123456", true, true, false, "1.3.0-rc.1.snapshot.2+0123456789ab"},
		{"v1.2-0-g0123456", true, true, false, ""},
		{"vfoo-0-g0123456", true, true, false, ""},
		{"v1.2.3-0-g0123456", true, true, true, "1.2.4-snapshot.0+0123456789ab"},
		{"v1.2.3-0-g0123456", true, false, true, ""},
		{"", false, true, true, "0.0.0-snapshot+0123456789ab"},
	} {
		got, err := versionFrom(tc.desc, tc.described, rev, tc.snapshot, tc.modified)
		if (err != nil) != (tc.want == "") || got != tc.want {
			t.Errorf("versionFrom(%q, %t, snapshot %t, modified %t) = %q, %v; want %q",
				tc.desc, tc.described, tc.snapshot, tc.modified, got, err, tc.want)
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

// TestDescribe runs Describe over a real repository: a tag, a commit after
// it, a modified tree and SOURCE_DATE_EPOCH.
func TestDescribe(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	sh := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.org",
			"-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z", "GIT_AUTHOR_DATE=2026-01-02T03:04:05Z")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "f"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	sh("init", "-q")
	write("1")
	sh("add", "f")
	sh("commit", "-q", "-m", "one")
	sh("tag", "-a", "v1.2.3", "-m", "v1.2.3")

	m, err := Describe(ctx, dir, false, "")
	want := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err != nil || m.Version != "1.2.3" || m.Modified || !m.Epoch.Equal(want) || len(m.Revision) != 40 {
		t.Fatalf("at the tag: %+v, %v", m, err)
	}
	if m, err := Describe(ctx, dir, false, "86400"); err != nil || m.Epoch.Unix() != 86400 {
		t.Errorf("SOURCE_DATE_EPOCH: %+v, %v", m, err)
	}
	if _, err := Describe(ctx, dir, false, "yesterday"); err == nil {
		t.Error("a SOURCE_DATE_EPOCH that is not a number is accepted")
	}

	write("2") // modified at the tag: only a snapshot, and not the release's version
	if _, err := Describe(ctx, dir, false, ""); err == nil {
		t.Error("a modified tree builds as a release")
	}
	if m, err := Describe(ctx, dir, true, ""); err != nil || !m.Modified || !strings.HasPrefix(m.Version, "1.2.4-snapshot.0+") {
		t.Errorf("modified snapshot: %+v, %v", m, err)
	}

	sh("commit", "-q", "-am", "two")
	if _, err := Describe(ctx, dir, false, ""); err == nil {
		t.Error("an untagged commit builds as a release")
	}
	m, err = Describe(ctx, dir, true, "")
	if err != nil || m.Version != "1.2.4-snapshot.1+"+m.Revision[:12] || m.Modified {
		t.Errorf("one commit after the tag: %+v, %v", m, err)
	}
}
