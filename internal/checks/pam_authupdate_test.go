package checks

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
)

// The PAM fixes planned together on the debootstrap Debian 12 tree, then
// written over a copy of it (an overlay mount in a private mount
// namespace), must survive Debian's own pam-auth-update: --package (what
// every package with a profile runs) rebuilds the files byte for byte as
// cradle wrote them, and so does --force.
func TestPAMAuthUpdateDifferential(t *testing.T) {
	base := os.Getenv("CRADLE_TEST_ROOTFS")
	if base == "" || os.Geteuid() != 0 {
		t.Skip("needs CRADLE_TEST_ROOTFS and root (overlay mount, chroot)")
	}
	if _, err := os.Stat(filepath.Join(base, "usr/sbin/pam-auth-update")); err != nil {
		t.Skip("the tree has no pam-auth-update")
	}
	if testing.Short() {
		t.Skip("runs pam-auth-update in a chroot")
	}
	ch := remedy.New(openDir(t, base))
	rules := []string{
		faillockDny,
		`{services: [passwd], type: password, module: pam_pwhistory.so, present: true, args: {remember: ">=5"}, defaults: {remember: "10"}, config: {syntax: equals, paths: [/etc/security/pwhistory.conf]}}`,
		`{services: [login, sshd], type: auth, module: pam_unix.so, args: {nullok: absent}}`,
		`{services: [passwd], type: password, module: pam_pwquality.so, present: true, args: {retry: "<=2"}}`,
	}
	for i, r := range rules {
		fxPlan(t, ch, "pam."+string(rune('a'+i)), pamOptionTemplate{}, r)
	}
	for _, r := range rules {
		if st := kcEval(t, pamOptionTemplate{}, r, ch.Overlay()).Status; st != "pass" {
			t.Fatalf("%s: %s after the fix", r, st)
		}
	}
	tmp := t.TempDir()
	up, work, mnt := filepath.Join(tmp, "up"), filepath.Join(tmp, "work"), filepath.Join(tmp, "mnt")
	for _, d := range []string{up, work, mnt} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{}
	for _, pc := range ch.Final() {
		if pc.Action != remedy.ActWrite {
			t.Fatalf("unexpected %s of %s", pc.Action, pc.Path)
		}
		p := filepath.Join(up, pc.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, pc.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		want[pc.Path] = string(pc.Data)
	}
	for _, f := range []string{"etc/pam.d/common-auth", "etc/pam.d/common-account", "usr/share/pam-configs/cradle-faillock", "var/lib/pam/auth"} {
		if _, ok := want[f]; !ok {
			t.Errorf("the plan does not write %s", f)
		}
	}
	for _, args := range []string{"--package", "--force"} {
		script := `set -e
mount -t overlay overlay -o lowerdir="$1",upperdir="$2",workdir="$3" "$4"
DEBIAN_FRONTEND=noninteractive chroot "$4" pam-auth-update ` + args
		out, err := exec.CommandContext(t.Context(), "unshare", "-m", "sh", "-c", script, "sh", base, up, work, mnt).CombinedOutput()
		if err != nil {
			t.Skipf("cannot run pam-auth-update in an overlay: %v\n%s", err, out)
		}
		if strings.Contains(string(out), "Local modifications") {
			t.Errorf("pam-auth-update %s refused: %s", args, out)
		}
		for p, w := range want {
			if !strings.HasPrefix(p, "etc/pam.d/common-") && !strings.HasPrefix(p, "var/lib/pam/") {
				continue
			}
			got, err := os.ReadFile(filepath.Join(up, p))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != w {
				t.Errorf("pam-auth-update %s rewrote %s:\n%s\ncradle wrote:\n%s", args, p, got, w)
			}
		}
	}
}
