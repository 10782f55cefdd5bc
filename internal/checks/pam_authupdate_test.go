package checks

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target/targettest"
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

// pauCommon lays out a common-* file as libpam-runtime ships it: the
// Primary block, the fallback, the Additional block.
func pauCommon(typ, primary, additional string) string {
	return "# /etc/pam.d/common-" + typ + "\n#\n" +
		pauPrimary + "\n" + primary +
		pauFallback + "\n" + typ + "\trequisite\t\t\tpam_deny.so\n" +
		"# prime the stack with a positive return value if there isn't one already;\n" + typ + "\trequired\t\t\tpam_permit.so\n" +
		pauAdditional + "\n" + additional + pauEnd + "\n"
}

// debAuthUpdateTree is Debian 12 with libpam-runtime's pam-auth-update
// state: the unix and pwquality profiles enabled, the common files built
// from them and the record of what was built.
func debAuthUpdateTree(extra map[string]string) map[string]string {
	m := debPAMTree(map[string]string{
		"usr/lib/x86_64-linux-gnu/security/pam_pwquality.so": "",
		"usr/share/pam-configs/unix": "Name: Unix authentication\nDefault: yes\nPriority: 256\nAuth-Type: Primary\nAuth:\n\t[success=end default=ignore]\tpam_unix.so nullok try_first_pass\nAuth-Initial:\n\t[success=end default=ignore]\tpam_unix.so nullok\n" +
			"Account-Type: Primary\nAccount:\n\t[success=end new_authtok_reqd=done default=ignore]\tpam_unix.so\nAccount-Initial:\n\t[success=end new_authtok_reqd=done default=ignore]\tpam_unix.so\n" +
			"Session-Type: Additional\nSession:\n\trequired\tpam_unix.so\nSession-Initial:\n\trequired\tpam_unix.so\n" +
			"Password-Type: Primary\nPassword:\n\t[success=end default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt\nPassword-Initial:\n\t[success=end default=ignore]\tpam_unix.so obscure yescrypt\n",
		"usr/share/pam-configs/pwquality": "Name: Pwquality password strength checking\nDefault: yes\nPriority: 1024\nConflicts: cracklib\nPassword-Type: Primary\nPassword:\n\trequisite\t\t\tpam_pwquality.so retry=3\nPassword-Initial:\n\trequisite\t\t\tpam_pwquality.so retry=3\n",
		"usr/share/pam-configs/mkhomedir": "Name: Create home directory on login\nDefault: no\nPriority: 0\nSession-Type: Additional\nSession-Interactive-Only: yes\nSession:\n\toptional\t\t\tpam_mkhomedir.so\n",
		"etc/pam.d/common-auth":           pauCommon("auth", "auth\t[success=1 default=ignore]\tpam_unix.so nullok\n", ""),
		"etc/pam.d/common-account":        pauCommon("account", "account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so \n", ""),
		"etc/pam.d/common-password": pauCommon("password", "password\trequisite\t\t\tpam_pwquality.so retry=3\n"+
			"password\t[success=1 default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt\n", ""),
		"etc/pam.d/common-session":                pauCommon("session", "session\t[default=1]\t\t\tpam_permit.so\n", "session\trequired\tpam_unix.so \n"),
		"etc/pam.d/common-session-noninteractive": pauCommon("session", "session\t[default=1]\t\t\tpam_permit.so\n", "session\trequired\tpam_unix.so \n"),
		"var/lib/pam/auth":                        "Module: unix\n[success=end default=ignore]\tpam_unix.so nullok\n",
		"var/lib/pam/account":                     "Module: unix\n[success=end new_authtok_reqd=done default=ignore]\tpam_unix.so\n",
		"var/lib/pam/password":                    "Module: pwquality\nrequisite\t\t\tpam_pwquality.so retry=3\nModule: unix\n[success=end default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt\n",
		"var/lib/pam/session":                     "Module: null\n[default=1]\t\t\tpam_permit.so\nModule: unix\nrequired\tpam_unix.so\n",
		"var/lib/pam/session-noninteractive":      "Module: null\n[default=1]\t\t\tpam_permit.so\nModule: unix\nrequired\tpam_unix.so\n",
		"var/lib/pam/seen":                        "pwquality\nunix\nmkhomedir\n",
	})
	maps.Copy(m, cracklibDebian)
	maps.Copy(m, extra)
	return m
}

func TestPAMAuthUpdateFix(t *testing.T) {
	pwhistory := `{services: [passwd], type: password, module: pam_pwhistory.so, present: true, args: {remember: ">=5"}, defaults: {remember: "10"}}`
	tests := []struct {
		name, args string
		files      map[string]string
		want       map[string]string // file: exact planned content, or substring with "~" prefix
		unwritten  []string
	}{
		{name: "faillock through profiles", args: faillockDny, files: debAuthUpdateTree(nil),
			want: map[string]string{
				"etc/pam.d/common-auth": pauCommon("auth", "auth\trequired\t\t\tpam_faillock.so preauth\n"+
					"auth\t[success=2 default=ignore]\tpam_unix.so nullok try_first_pass\n"+
					"auth\t[default=die]\t\t\tpam_faillock.so authfail\n", ""),
				"etc/pam.d/common-account": pauCommon("account", "account\trequired\t\t\tpam_faillock.so \n"+
					"account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so \n", ""),
				"var/lib/pam/auth": "Module: cradle-faillock\nrequired\t\t\tpam_faillock.so preauth\nModule: unix\n[success=end default=ignore]\tpam_unix.so nullok try_first_pass\n" +
					"Module: cradle-faillock-authfail\n[default=die]\t\t\tpam_faillock.so authfail\n",
				"var/lib/pam/account":                   "Module: cradle-faillock\nrequired\t\t\tpam_faillock.so\nModule: unix\n[success=end new_authtok_reqd=done default=ignore]\tpam_unix.so\n",
				"var/lib/pam/seen":                      "pwquality\ncradle-faillock\nunix\nmkhomedir\ncradle-faillock-authfail\n",
				"usr/share/pam-configs/cradle-faillock": "~Priority: 512\nAuth-Type: Primary\nAuth:\n\trequired\t\t\tpam_faillock.so preauth\nAccount-Type: Primary\nAccount:\n\trequired\t\t\tpam_faillock.so\n",
			},
			unwritten: []string{"etc/pam.d/common-password", "etc/pam.d/common-session", "var/lib/pam/password"}},
		{name: "an option change stays a local change", args: `{services: [login, sshd], type: auth, module: pam_unix.so, args: {nullok: absent}}`,
			files:     debAuthUpdateTree(nil),
			want:      map[string]string{"etc/pam.d/common-auth": "~auth\t[success=1 default=ignore]\tpam_unix.so\n"},
			unwritten: []string{"var/lib/pam/auth", "var/lib/pam/seen"}},
		{name: "pwhistory between pwquality and unix, local option kept", args: pwhistory,
			files: debAuthUpdateTree(map[string]string{"etc/pam.d/common-password": pauCommon("password", "password\trequisite\t\t\tpam_pwquality.so retry=2 minlen=14\n"+
				"password\t[success=1 default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt\n", "")}),
			want: map[string]string{"etc/pam.d/common-password": pauCommon("password", "password\trequisite\t\t\tpam_pwquality.so minlen=14 retry=2\n"+
				"password\trequisite\t\t\tpam_pwhistory.so use_authtok\n"+
				"password\t[success=1 default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt\n", "")}},
		{name: "the package's pwquality profile is enabled again", args: pwqMinlen,
			files: debAuthUpdateTree(map[string]string{
				"etc/pam.d/common-password":   pauCommon("password", "password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt\n", ""),
				"var/lib/pam/password":        "Module: unix\n[success=end default=ignore]\tpam_unix.so obscure yescrypt\n",
				"etc/security/pwquality.conf": "# minlen = 8\n",
			}),
			want: map[string]string{"etc/pam.d/common-password": pauCommon("password", "password\trequisite\t\t\tpam_pwquality.so retry=3\n"+
				"password\t[success=1 default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt\n", ""),
				"var/lib/pam/password": "Module: pwquality\nrequisite\t\t\tpam_pwquality.so retry=3\nModule: unix\n[success=end default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt\n"},
			unwritten: []string{"usr/share/pam-configs/cradle-pwquality"}},
		{name: "a line pam-auth-update did not write: edited in place", args: faillockDny,
			files:     debAuthUpdateTree(map[string]string{"etc/pam.d/common-auth": pauCommon("auth", "auth\t[success=2 default=ignore]\tpam_unix.so nullok\nauth\toptional\tpam_cap.so\n", "")}),
			want:      map[string]string{"etc/pam.d/common-auth": "~auth\trequired\tpam_faillock.so preauth\nauth\t[success=3 default=ignore]\tpam_unix.so nullok\nauth\t[default=die]\tpam_faillock.so authfail\n"},
			unwritten: []string{"usr/share/pam-configs/cradle-faillock", "var/lib/pam/auth"}},
		{name: "faillock from the administrator's profiles gets its account line", args: faillockDny,
			files: debAuthUpdateTree(map[string]string{
				"usr/share/pam-configs/lockout":        "Name: lockout\nDefault: yes\nPriority: 900\nAuth-Type: Primary\nAuth:\n\trequisite pam_faillock.so preauth\n",
				"usr/share/pam-configs/lockout-record": "Name: lockout record\nDefault: yes\nPriority: 10\nAuth-Type: Primary\nAuth:\n\t[default=die] pam_faillock.so authfail\n",
				"etc/pam.d/common-auth": pauCommon("auth", "auth\trequisite pam_faillock.so preauth\nauth\t[success=2 default=ignore]\tpam_unix.so nullok try_first_pass\n"+
					"auth\t[default=die] pam_faillock.so authfail\n", ""),
				"var/lib/pam/auth": "Module: lockout\nrequisite pam_faillock.so preauth\nModule: unix\n[success=end default=ignore]\tpam_unix.so nullok try_first_pass\n" +
					"Module: lockout-record\n[default=die] pam_faillock.so authfail\n",
				"var/lib/pam/seen": "pwquality\nlockout\nunix\nlockout-record\nmkhomedir\n",
			}),
			want: map[string]string{
				"etc/pam.d/common-account": pauCommon("account", "account\trequired\t\t\tpam_faillock.so \n"+
					"account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so \n", ""),
				"var/lib/pam/seen": "pwquality\nlockout\ncradle-faillock-account\nunix\nlockout-record\nmkhomedir\n",
			},
			unwritten: []string{"etc/pam.d/common-auth", "var/lib/pam/auth", "usr/share/pam-configs/cradle-faillock"}},
		{name: "a forbidden module from a profile: the profile is disabled", args: `{services: [login, sshd], type: auth, module: pam_rhosts.so, present: false}`,
			files: debAuthUpdateTree(map[string]string{
				"usr/share/pam-configs/rhosts": "Name: rhosts\nDefault: yes\nPriority: 300\nAuth-Type: Primary\nAuth:\n\tsufficient\tpam_rhosts.so\n",
				"etc/pam.d/common-auth":        pauCommon("auth", "auth\tsufficient\tpam_rhosts.so \nauth\t[success=1 default=ignore]\tpam_unix.so nullok try_first_pass\n", ""),
				"var/lib/pam/auth":             "Module: rhosts\nsufficient\tpam_rhosts.so\nModule: unix\n[success=end default=ignore]\tpam_unix.so nullok try_first_pass\n",
				"var/lib/pam/seen":             "pwquality\nrhosts\nunix\nmkhomedir\n",
			}),
			want: map[string]string{
				"etc/pam.d/common-auth": pauCommon("auth", "auth\t[success=1 default=ignore]\tpam_unix.so nullok\n", ""),
				"var/lib/pam/auth":      "Module: unix\n[success=end default=ignore]\tpam_unix.so nullok\n",
			},
			unwritten: []string{"var/lib/pam/seen", "usr/share/pam-configs/rhosts"}},
		{name: "no end marker: edited in place", args: faillockDny,
			files:     debAuthUpdateTree(map[string]string{"etc/pam.d/common-auth": strings.TrimSuffix(pauCommon("auth", "auth\t[success=1 default=ignore]\tpam_unix.so nullok\n", ""), pauEnd+"\n")}),
			want:      map[string]string{"etc/pam.d/common-auth": "~auth\trequired\tpam_faillock.so preauth\n"},
			unwritten: []string{"usr/share/pam-configs/cradle-faillock"}},
		{name: "a profile not offered yet stays off and unseen", args: faillockDny,
			files: debAuthUpdateTree(map[string]string{"usr/share/pam-configs/empty": "Name: nothing\nDefault: yes\nPriority: 300\nAuth-Type: Primary\n"}),
			want: map[string]string{"etc/pam.d/common-auth": pauCommon("auth", "auth\trequired\t\t\tpam_faillock.so preauth\n"+
				"auth\t[success=2 default=ignore]\tpam_unix.so nullok try_first_pass\n"+
				"auth\t[default=die]\t\t\tpam_faillock.so authfail\n", ""),
				"var/lib/pam/seen": "pwquality\ncradle-faillock\nunix\nmkhomedir\ncradle-faillock-authfail\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := fixRoundTrip(t, pamOptionTemplate{}, tt.args, targettest.Tree(t, tt.files))
			for _, op := range ch.Ops() {
				if op.Deferred() {
					t.Errorf("deferred: %s", op.Reason)
				}
			}
			if strings.Contains(tt.name, "in place") && !strings.Contains(ch.Ops()[0].Summary, "pam-auth-update --force would drop this line") {
				t.Errorf("summary %q does not warn", ch.Ops()[0].Summary)
			}
			for file, w := range tt.want {
				got := planned(t, ch, file)
				if sub, ok := strings.CutPrefix(w, "~"); ok && !strings.Contains(got, sub) || !ok && got != w {
					t.Errorf("planned %s:\n%s\nwant:\n%s", file, got, w)
				}
			}
			written := map[string]bool{}
			for _, pc := range ch.Final() {
				written[pc.Path] = true
			}
			for _, f := range tt.unwritten {
				if written[f] {
					t.Errorf("%s written", f)
				}
			}
		})
	}
}

func TestPAMAuthUpdateProfileParse(t *testing.T) {
	tests := []struct {
		name, text string
		want       map[string]string
		conflicts  []string
	}{
		{"unix", debAuthUpdateTree(nil)["usr/share/pam-configs/unix"], map[string]string{
			"Priority": "256", "Auth-Type": "Primary", "Auth-Initial": "[success=end default=ignore]\tpam_unix.so nullok",
			"Session-noninteractive-Type": "Additional", "Session-noninteractive": "required\tpam_unix.so"}, nil},
		{"Final is the plain field; lines trimmed; blank lines dropped", "Name: x\nAuth-Type: Primary\nAuth-Final:\n   required pam_a.so  \n\n\t\n\toptional pam_b.so\n",
			map[string]string{"Auth": "required pam_a.so\noptional pam_b.so"}, nil},
		{"interactive-only session has no noninteractive stack", "Session-Type: Additional\nSession-Interactive-Only: yes\nSession:\n\toptional pam_mkhomedir.so\n",
			map[string]string{"Session": "optional pam_mkhomedir.so", "Session-noninteractive": ""}, nil},
		{"conflicts", "Name: pwquality\nConflicts: cracklib, passwdqc\n", map[string]string{"Name": "pwquality"}, []string{"cracklib", "passwdqc"}},
		{"pam_tally disables the profile", "Auth-Type: Primary\nAuth:\n\trequired pam_tally.so deny=3\n", map[string]string{"disabled": "1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pauParseProfile([]byte(tt.text))
			for k, w := range tt.want {
				if p.f[k] != w {
					t.Errorf("%s = %q, want %q", k, p.f[k], w)
				}
			}
			for _, c := range tt.conflicts {
				if !p.conflicts[c] {
					t.Errorf("no conflict with %s", c)
				}
			}
		})
	}
	for s, want := range map[string]int{"1024": 1024, " 0 ": 0, "900x": 900, "x": 0, "-5": -5} {
		if got := pauNum(s); got != want {
			t.Errorf("pauNum(%q) = %d, want %d", s, got, want)
		}
	}
}
