package checks

import (
	"testing"

	"github.com/cradle-cra/cradle/internal/result"
)

// Debian 12 stacks as shipped (pam-auth-update).
var debianPAM = map[string]any{
	"etc/pam.d/login":             "auth       optional   pam_faildelay.so  delay=3000000\n@include common-auth\n@include common-account\n",
	"etc/pam.d/sshd":              "@include common-auth\naccount    required     pam_nologin.so\n@include common-password\n",
	"etc/pam.d/passwd":            "#\n# The PAM configuration file for the Shadow `passwd' service\n#\n\n@include common-password\n",
	"etc/pam.d/su":                "auth       sufficient pam_rootok.so\n# auth       required   pam_wheel.so\n@include common-auth\n",
	"etc/pam.d/common-auth":       "auth\t[success=1 default=ignore]\tpam_unix.so nullok\nauth\trequisite\t\t\tpam_deny.so\nauth\trequired\t\t\tpam_permit.so\n",
	"etc/pam.d/common-account":    "account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so \n",
	"etc/pam.d/common-password":   "password\trequisite\t\t\tpam_pwquality.so retry=3\npassword\t[success=1 default=ignore]\tpam_unix.so obscure use_authtok try_first_pass yescrypt\n",
	"etc/security/pwquality.conf": "# minlen = 8\n",
}

func withPAM(extra map[string]any) map[string]any {
	m := map[string]any{}
	for k, v := range debianPAM {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

const pwq = `config: {syntax: pwquality, paths: [/etc/security/pwquality.conf]}`

func TestPAMOption(t *testing.T) {
	runAuthCases(t, pamOptionTemplate{}, []authCase{
		{"nullok fail via include", `{services: [login, sshd], type: auth, module: pam_unix.so, args: {nullok: absent}}`,
			debianPAM, result.Fail, "Note:included via login"},
		{"nullok pass", `{services: [login], type: auth, module: pam_unix.so, args: {nullok: absent}}`,
			withPAM(map[string]any{"etc/pam.d/common-auth": "auth [success=1 default=ignore] pam_unix.so\n"}), result.Pass, "without nullok"},
		{"hashing pass", `{services: [passwd], type: password, module: pam_unix.so, any_flag: [yescrypt, sha512]}`,
			debianPAM, result.Pass, "yescrypt"},
		{"pwquality default minlen", `{services: [passwd], type: password, module: pam_pwquality.so, present: true, args: {minlen: ">=14"}, defaults: {minlen: "8"}, ` + pwq + `}`,
			debianPAM, result.Fail, "minlen=8 (default)"},
		{"pwquality from conf.d", `{services: [passwd], type: password, module: pam_pwquality.so, present: true, args: {minlen: ">=14"}, defaults: {minlen: "8"}, ` + pwq + `}`,
			withPAM(map[string]any{"etc/security/pwquality.conf.d/50-x.conf": "minlen = 16\n"}), result.Pass, "from /etc/security/pwquality.conf.d/50-x.conf:1"},
		{"module arg overrides conf", `{services: [passwd], type: password, module: pam_pwquality.so, present: true, args: {minlen: ">=14"}, ` + pwq + `}`,
			withPAM(map[string]any{"etc/security/pwquality.conf": "minlen = 20\n",
				"etc/pam.d/common-password": "password requisite pam_pwquality.so retry=3 minlen=10\n"}), result.Fail, "minlen=10"},
		{"flag from conf", `{services: [passwd], type: password, module: pam_pwquality.so, present: true, args: {enforce_for_root: present}, ` + pwq + `}`,
			withPAM(map[string]any{"etc/security/pwquality.conf": "enforce_for_root\n"}), result.Pass, "enforce_for_root (from"},
		{"required module missing", `{services: [login, sshd], type: auth, module: pam_faillock.so, present: true, args: {deny: "<=5"}}`,
			debianPAM, result.Fail, "no pam_faillock.so in the auth stack"},
		{"faillock conjunction", `{services: [login], type: auth, module: pam_faillock.so, present: true, args: {deny: ">0&<=5"}, defaults: {deny: "3"}, config: {syntax: equals, paths: [/etc/security/faillock.conf]}}`,
			withPAM(map[string]any{"etc/pam.d/common-auth": "auth requisite pam_faillock.so preauth\nauth [success=1 default=ignore] pam_unix.so\nauth [default=die] pam_faillock.so authfail\n",
				"etc/security/faillock.conf": "# deny = 3\ndeny = 0\n"}), result.Fail, "deny=0 (from /etc/security/faillock.conf:2)"},
		{"unlock alternatives", `{services: [login], type: auth, module: pam_faillock.so, present: true, args: {unlock_time: "0|>=900"}, defaults: {unlock_time: "600"}}`,
			withPAM(map[string]any{"etc/pam.d/common-auth": "auth requisite pam_faillock.so preauth unlock_time=0\n",
				"etc/pam.d/common-account": "account required pam_faillock.so\naccount [success=1 new_authtok_reqd=done default=ignore] pam_unix.so\n"}), result.Pass, "unlock_time=0"},
		{"faillock without a reset", `{services: [login], type: auth, module: pam_faillock.so, present: true, args: {unlock_time: "0|>=900"}}`,
			withPAM(map[string]any{"etc/pam.d/common-auth": "auth requisite pam_faillock.so preauth unlock_time=0\n"}), result.Fail, "does not reset the failure count"},
		{"faillock reset by authsucc", `{services: [login], type: auth, module: pam_faillock.so, present: true, args: {unlock_time: "0|>=900"}}`,
			withPAM(map[string]any{"etc/pam.d/common-auth": "auth requisite pam_faillock.so preauth unlock_time=0\nauth sufficient pam_faillock.so authsucc unlock_time=0\n"}), result.Pass, "unlock_time=0"},
		{"forbidden module", `{services: [login, sshd], type: auth, module: pam_rhosts.so, present: false}`,
			withPAM(map[string]any{"etc/pam.d/sshd": "auth sufficient pam_rhosts.so\n@include common-auth\n"}), result.Fail, "sshd: auth sufficient pam_rhosts.so"},
		{"pwquality skipped by a jump", `{services: [passwd], type: password, module: pam_pwquality.so, present: true, args: {minlen: ">=14"}, ` + pwq + `}`,
			withPAM(map[string]any{"etc/pam.d/common-password": "password [success=2 default=ignore] pam_unix.so yescrypt\npassword requisite pam_pwquality.so minlen=16\npassword requisite pam_deny.so\npassword required pam_permit.so\n"}),
			result.Fail, "not enforced: skipped when [success=2 default=ignore] pam_unix.so at /etc/pam.d/common-password:1 succeeds"},
		{"pwquality after sufficient", `{services: [passwd], type: password, module: pam_pwquality.so, present: true, args: {minlen: ">=14"}, ` + pwq + `}`,
			withPAM(map[string]any{"etc/pam.d/common-password": "password sufficient pam_unix.so yescrypt\npassword requisite pam_pwquality.so minlen=16\n"}),
			result.Fail, "is in the password stack but no successful run needs it"},
		{"pwquality optional", `{services: [passwd], type: password, module: pam_pwquality.so, present: true, args: {minlen: ">=14"}, ` + pwq + `}`,
			withPAM(map[string]any{"etc/pam.d/common-password": "password optional pam_pwquality.so minlen=16\npassword required pam_unix.so yescrypt\n"}),
			result.Fail, "its failure does not fail the stack (optional)"},
		{"forbidden module no run reaches", `{services: [login, sshd], type: auth, module: pam_rhosts.so, present: false}`,
			withPAM(map[string]any{"etc/pam.d/sshd": "auth [success=1 default=ignore] pam_permit.so\nauth sufficient pam_rhosts.so\n@include common-auth\n"}), result.Pass, "no run of the stack reaches it"},
		{"no service", `{services: [nothere], type: auth, module: pam_unix.so, args: {nullok: absent}}`,
			debianPAM, result.NotApplicable, "no PAM configuration for nothere"},
		{"no pam at all", `{services: [login], type: auth, module: pam_unix.so, args: {nullok: absent}}`,
			map[string]any{}, result.NotApplicable, "no PAM configuration"},
		{"RHEL substack", `{services: [login], type: auth, module: pam_unix.so, args: {nullok: absent}}`,
			map[string]any{"etc/pam.d/login": "auth substack system-auth\nauth include postlogin\n",
				"etc/pam.d/system-auth": "auth required pam_env.so\nauth sufficient pam_unix.so nullok\n",
				"etc/pam.d/postlogin":   "session optional pam_umask.so\n"}, result.Fail, "File:/etc/pam.d/system-auth Line:2"},
	})
	runArgErrors(t, pamOptionTemplate{}, []string{
		`{type: auth, module: pam_unix.so, present: true}`,
		`{services: [login], type: login, module: pam_unix.so, present: true}`,
		`{services: [login], type: auth, present: true}`,
		`{services: [login], type: auth, module: pam_unix.so}`,
		`{services: [login], type: auth, module: pam_unix.so, present: false, args: {nullok: absent}}`,
		`{services: [login], type: auth, module: pam_unix.so, args: {deny: ">=x"}}`,
		`{services: [login], type: auth, module: pam_unix.so, args: {a: present}, config: {syntax: systemd, paths: [/a]}}`,
	})
}

func TestConstraint(t *testing.T) {
	tests := []struct {
		c     string
		value string
		set   bool
		want  bool
	}{
		{">=14", "14", true, true},
		{">=14", "13", true, false},
		{">=14", "", false, false},
		{"<=3", "x", true, false},
		{"absent", "", false, true},
		{"present", "", true, true},
		{"0|>=900", "0", true, true},
		{"0|>=900", "600", true, false},
		{">0&<=5", "0", true, false},
		{">0&<=5", "5", true, true},
		{"!=0", "", false, true},
		{"yescrypt", "yescrypt", true, true},
	}
	for _, tt := range tests {
		cs, err := parseConstraint(tt.c)
		if err != nil {
			t.Fatal(err)
		}
		if got := sat(cs, tt.value, tt.set); got != tt.want {
			t.Errorf("%s on %q (set %v) = %v, want %v", tt.c, tt.value, tt.set, got, tt.want)
		}
	}
}
