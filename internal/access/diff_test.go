package access

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target/targettest"
)

func TestDiff(t *testing.T) {
	before := compute(t, appliance())
	ageing := appliance()
	ageing["etc/shadow"] = fmt.Sprintf(`root:$y$j9T$abcdefghijklmnopqrstu$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG:%[1]d:0:365:7:30::
daemon:*:%[1]d:0:99999:7:::
admin:$6$saltsalt$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnop:%[2]d:0:365:7:30::
cloud:!:%[1]d:0:365:7:30::
ops:*:%[1]d:0:365:7:30::
svc:!:%[1]d::::::
`, today-30, today-400)
	inactive := "PAM account management would refuse: account inactive since " + day(today-400+365+30)
	for _, tc := range []struct {
		name  string
		after map[string]string
		want  []string
	}{
		{"no change", appliance(), nil},
		{"ageing expires the old password's owner", ageing, []string{
			"admin: SSH key login: " + inactive,
			"admin: SSH password login: " + inactive,
			"admin: console password login: " + inactive,
			"admin: sudo ALL (as ALL:ALL): " + inactive,
		}},
		{"NOPASSWD rules commented out", with(map[string]string{
			"etc/sudoers.d/90-cloud-init-users": "#cloud ALL=(ALL) NOPASSWD:ALL\n",
			"etc/sudoers.d/ops":                 "ops ALL=(ALL) /usr/bin/systemctl restart nginx\n",
		}), []string{
			"cloud: sudo ALL (as ALL): no sudoers rule grants it any more",
			"ops: sudo /usr/bin/systemctl restart nginx (as ALL): needs ops's password, which is not usable",
		}},
		{"a grant added", with(map[string]string{"etc/sudoers.d/zz": "admin ALL=(ALL) NOPASSWD: /usr/bin/systemctl restart nginx\n"}), nil},
		{"root login off with an admin key", with(map[string]string{"etc/ssh/sshd_config.d/50.conf": "PermitRootLogin no\nPasswordAuthentication no\n"}), []string{
			"admin: SSH password login: sshd PasswordAuthentication no and KbdInteractiveAuthentication no",
		}},
		{"account removed", with(map[string]string{"etc/passwd": "root:x:0:0:root:/root:/bin/bash\nadmin:x:1000:1000::/home/admin:/bin/bash\ncloud:x:1001:1001::/home/cloud:/bin/bash\nsvc:x:998:998::/var/lib/svc:/usr/sbin/nologin\n"}), []string{
			"ops: every way in: the account no longer exists",
		}},
		{"unmodelled PAM module added", with(map[string]string{
			"lib/x86_64-linux-gnu/security/pam_sss.so": "",
			"etc/pam.d/sudo": "account requisite pam_sss.so\n@include common-account\n",
		}), []string{
			"root: sudo ALL (as ALL:ALL): cannot tell any more: PAM account management: the outcome depends on modules cradle does not model: pam_sss.so (/etc/pam.d/sudo:1)",
			"admin: sudo ALL (as ALL:ALL): cannot tell any more: PAM account management: the outcome depends on modules cradle does not model: pam_sss.so (/etc/pam.d/sudo:1)",
			"cloud: sudo ALL (as ALL): cannot tell any more: PAM account management: the outcome depends on modules cradle does not model: pam_sss.so (/etc/pam.d/sudo:1)",
			"ops: sudo /usr/bin/systemctl restart nginx (as ALL): cannot tell any more: PAM account management: the outcome depends on modules cradle does not model: pam_sss.so (/etc/pam.d/sudo:1)",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Summary(Diff(before, compute(t, tc.after)))
			if !slices.Equal(got, tc.want) {
				t.Errorf("losses:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestDiffNoPassword: a grant that needed no password and now needs one
// is lost for sudo -n, even when the password is usable.
func TestDiffNoPassword(t *testing.T) {
	before := compute(t, with(map[string]string{"etc/sudoers.d/zz": "admin ALL=(ALL) NOPASSWD: /usr/bin/systemctl restart nginx\n"}))
	after := compute(t, with(map[string]string{"etc/sudoers.d/zz": "admin ALL=(ALL) /usr/bin/systemctl restart nginx\n"}))
	got := Summary(Diff(before, after))
	want := []string{"admin: sudo -n /usr/bin/systemctl restart nginx (as ALL): now needs a password"}
	if !slices.Equal(got, want) {
		t.Errorf("losses:\n got %q\nwant %q", got, want)
	}
	if l := Lockouts(after, Diff(before, after)); len(l) != 0 {
		t.Errorf("admin has a password: no lockout, got %v", Summary(l))
	}
	if l := Diff(after, before); len(l) != 0 {
		t.Errorf("gaining NOPASSWD is no loss: %v", l)
	}
}

// TestReads: the model says which paths can change it.
func TestReads(t *testing.T) {
	m := compute(t, appliance())
	for p, want := range map[string]bool{
		"/etc/shadow": true, "etc/sudoers.d/new": true, "/etc/pam.d/common-account": true,
		"/home/admin/.ssh/authorized_keys": true, "etc/ssh/sshd_config.d/new.conf": true,
		"etc/sysctl.d/99-zz-cradle.conf": false, "etc/modprobe.d/cradle-blacklist.conf": false,
	} {
		if got := m.Reads(p); got != want {
			t.Errorf("Reads(%s) = %v, want %v", p, got, want)
		}
	}
}

// TestFixture computes the model of the Debian 12 fixture tree: root has
// a password and no key, nothing else logs in.
func TestFixture(t *testing.T) {
	tg := targettest.Fixture(t)
	m, err := Compute(t.Context(), tg, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Accounts) < 10 {
		t.Fatalf("only %d accounts", len(m.Accounts))
	}
	for _, a := range m.Accounts {
		for _, w := range a.Ways {
			if w.Status == Works && a.UID != 0 {
				t.Logf("%s: %s works", a.Name, w.Name)
			}
		}
	}
	t.Logf("root: %v; notes %v", ways(m, "root"), m.Notes)
}

// TestLockouts: turning password logins off is no lockout for an account
// whose key still works, but is for one without a key.
func TestLockouts(t *testing.T) {
	before := compute(t, appliance())
	f := with(map[string]string{"etc/ssh/sshd_config.d/50.conf": "PasswordAuthentication no\n"})
	f["etc/shadow"] += "dev:$6$saltsalt$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnop:20000:0:99999:7:::\n"
	f["etc/passwd"] += "dev:x:1003:1003::/home/dev:/bin/bash\n"
	b2 := appliance()
	b2["etc/shadow"], b2["etc/passwd"] = f["etc/shadow"], f["etc/passwd"]
	before = compute(t, b2)
	after := compute(t, f)
	losses := Diff(before, after)
	if got, want := Summary(losses), []string{"admin: SSH password login: sshd PasswordAuthentication no and KbdInteractiveAuthentication no", "dev: SSH password login: sshd PasswordAuthentication no and KbdInteractiveAuthentication no"}; !slices.Equal(got, want) {
		t.Fatalf("losses %q, want %q", got, want)
	}
	if got, want := Summary(Lockouts(after, losses)), []string{"dev: SSH password login: sshd PasswordAuthentication no and KbdInteractiveAuthentication no"}; !slices.Equal(got, want) {
		t.Errorf("lockouts %q, want %q", got, want)
	}
}

// TestLockoutsRoot: root's SSH login may go while an administrator logs
// in over SSH and has sudo ALL; not when nobody else can become root.
func TestLockoutsRoot(t *testing.T) {
	withKey := with(map[string]string{"root/.ssh/authorized_keys": "ssh-ed25519 AAAA root@laptop\n"})
	rootOff := with(map[string]string{"root/.ssh/authorized_keys": "ssh-ed25519 AAAA root@laptop\n", "etc/ssh/sshd_config.d/50.conf": "PermitRootLogin no\n"})
	want := []string{"root: SSH key login: sshd PermitRootLogin no"}
	losses := Diff(compute(t, withKey), compute(t, rootOff))
	if got := Summary(losses); !slices.Equal(got, want) {
		t.Fatalf("losses %q, want %q", got, want)
	}
	if l := Lockouts(compute(t, rootOff), losses); len(l) != 0 {
		t.Errorf("admin still gets root over SSH, yet lockouts %v", l)
	}
	// Without the sudo group nobody else becomes root.
	for _, f := range []map[string]string{withKey, rootOff} {
		f["etc/group"] = "root:x:0:\nsudo:x:27:\nadmin:x:1000:\ncloud:x:1001:\nops:x:1002:\nsvc:x:998:\n"
		f["etc/sudoers.d/90-cloud-init-users"] = ""
	}
	after := compute(t, rootOff)
	if got := Summary(Lockouts(after, Diff(compute(t, withKey), after))); !slices.Equal(got, want) {
		t.Errorf("lockouts %q, want %q", got, want)
	}
}

// TestLockoutsSameUID: an alias of root losing its login is no lockout
// while root itself still logs in the same way.
func TestLockoutsSameUID(t *testing.T) {
	f := with(map[string]string{"root/.ssh/authorized_keys": "ssh-ed25519 AAAA root@laptop\n"})
	f["etc/passwd"] += "toor:x:0:0:root alias:/root:/bin/bash\n"
	before := compute(t, f)
	f["etc/passwd"] = strings.Replace(f["etc/passwd"], "toor:x:0:0:root alias:/root:/bin/bash", "toor:x:0:0:root alias:/root:/usr/sbin/nologin", 1)
	after := compute(t, f)
	losses := Diff(before, after)
	if len(losses) == 0 {
		t.Fatal("no loss")
	}
	if l := Lockouts(after, losses); len(l) != 0 {
		t.Errorf("lockouts %v", Summary(l))
	}
}

// TestLockoutsSudoCovered: a command grant that goes while a grant of
// every command still gives it (without a password where it needed none)
// is no lockout.
func TestLockoutsSudoCovered(t *testing.T) {
	for _, tc := range []struct {
		name, other string
		lockout     bool
	}{
		{"covered by NOPASSWD: ALL", "ops ALL=(ALL) NOPASSWD: ALL\n", false},
		{"ALL needs a password", "ops ALL=(ALL) ALL\n", true},
		{"narrower run-as", "ops ALL=(www-data) NOPASSWD: ALL\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := compute(t, with(map[string]string{"etc/sudoers.d/00": tc.other}))
			after := compute(t, with(map[string]string{"etc/sudoers.d/00": tc.other, "etc/sudoers.d/ops": ""}))
			losses := Diff(before, after)
			if len(losses) == 0 {
				t.Fatal("no loss")
			}
			if got := len(Lockouts(after, losses)) > 0; got != tc.lockout {
				t.Errorf("lockout %v, want %v: %v", got, tc.lockout, Summary(losses))
			}
		})
	}
}

// TestSudoProgram: stripping sudo's setuid bit or removing the program
// takes every grant with it.
func TestSudoProgram(t *testing.T) {
	before := compute(t, appliance())
	stripped := tree(t, appliance())
	if err := os.Chmod(filepath.Join(stripped.Name(), "usr/bin/sudo"), 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := Compute(t.Context(), stripped, now)
	if err != nil {
		t.Fatal(err)
	}
	removed := compute(t, with(map[string]string{"-usr/bin/sudo": ""}))
	noSSHD := compute(t, with(map[string]string{"-usr/sbin/sshd": ""}))
	if got, want := Summary(Lockouts(noSSHD, Diff(before, noSSHD))), "cloud: SSH key login: sshd is no longer installed"; !slices.Contains(got, want) {
		t.Errorf("sshd removed: lockouts %q, want %q", got, want)
	}
	for name, tc := range map[string]struct {
		after *Model
		want  string
	}{
		"setuid stripped": {m, "ops: sudo /usr/bin/systemctl restart nginx (as ALL): /usr/bin/sudo is not setuid"},
		"removed":         {removed, "ops: sudo /usr/bin/systemctl restart nginx (as ALL): sudo is no longer installed"},
	} {
		losses := Diff(before, tc.after)
		if got := Summary(Lockouts(tc.after, losses)); len(got) != 4 || !slices.Contains(got, tc.want) {
			t.Errorf("%s: lockouts %q, want 4 with %q", name, got, tc.want)
		}
	}
}
