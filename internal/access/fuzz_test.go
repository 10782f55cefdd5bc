package access

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cradle-cra/cradle/internal/target"
)

// FuzzCompute feeds hostile account, sshd, sudoers and PAM files to the
// model: it must not panic, hang or report a way without a reason when
// it is refused.
func FuzzCompute(f *testing.F) {
	a := appliance()
	f.Add(a["etc/passwd"], a["etc/shadow"], a["etc/ssh/sshd_config"], a["etc/sudoers.d/ops"], a["etc/pam.d/common-account"])
	f.Add("a:x:0:0::/:/bin/bash\n", "a:$6$x$y:0:-1:1:::0:\n", "Match User a*,!b Group *\nAllowUsers *@* a?\nAuthenticationMethods publickey,password keyboard-interactive:pam\n",
		"User_Alias A = A, B\nA ALL = (ALL) NOPASSWD: ALL, !ALL\nDefaults:A !authenticate\n", "account [success=2 default=1] pam_unix.so\naccount [default=reset] pam_x.so\naccount sufficient pam_succeed_if.so uid < 0 or user = a\n")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, passwd, shadow, sshdConfig, sudo, pamAccount string) {
		files := map[string]string{
			"etc/passwd": passwd, "etc/shadow": shadow, "etc/ssh/sshd_config": sshdConfig,
			"etc/sudoers": sudo, "etc/pam.d/sshd": "@include common-account\n", "etc/pam.d/common-account": pamAccount,
			"etc/pam.d/sudo": pamAccount, "bin/bash": "",
		}
		for name, body := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		tg, err := target.OpenRootFS(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer tg.Close()
		m, err := Compute(t.Context(), tg, now)
		if err != nil {
			return
		}
		for _, acc := range m.Accounts {
			for _, w := range acc.Ways {
				if w.Status != Works && w.Reason == "" {
					t.Fatalf("%s: %s is %s without a reason", acc.Name, w.Name, w.Status)
				}
			}
		}
		Diff(m, m)
	})
}
