// Package accesstest holds test trees for the access model and its
// users: a Debian 12 appliance's accounts, sshd, sudo and PAM files.
package accesstest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// Appliance is a Debian 12 appliance's access files, as debootstrap,
// openssh-server, sudo and cloud-init leave them, as of now: root with a
// password changed 30 days ago; admin (group sudo) with a key and a
// password changed 400 days ago; cloud with a key, a locked password and
// NOPASSWD: ALL; ops with a key, no password and one NOPASSWD command;
// svc with a nologin shell.
func Appliance(now time.Time) map[string]string {
	today := now.Unix() / 86400
	return map[string]string{
		"etc/passwd": `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
admin:x:1000:1000:Admin,,,:/home/admin:/bin/bash
cloud:x:1001:1001::/home/cloud:/bin/bash
ops:x:1002:1002::/home/ops:/bin/bash
svc:x:998:998::/var/lib/svc:/usr/sbin/nologin
`,
		"etc/shadow": fmt.Sprintf(`root:$y$j9T$abcdefghijklmnopqrstu$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG:%[1]d:0:99999:7:::
daemon:*:%[1]d:0:99999:7:::
admin:$6$saltsalt$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnop:%[2]d:0:99999:7:::
cloud:!:%[1]d:0:99999:7:::
ops:*:%[1]d:0:99999:7:::
svc:!:%[1]d::::::
`, today-30, today-400),
		"etc/group": `root:x:0:
sudo:x:27:admin
admin:x:1000:
cloud:x:1001:
ops:x:1002:
svc:x:998:
`,
		"etc/hostname":                                 "appliance\n",
		"bin/bash":                                     "",
		"usr/sbin/nologin":                             "",
		"home/admin/.ssh/authorized_keys":              "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGadmin admin@laptop\n",
		"home/cloud/.ssh/authorized_keys":              "# cloud-init\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGcloud cloud@ci\n",
		"home/ops/.ssh/authorized_keys":                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGops ops@automation\n",
		"etc/ssh/sshd_config":                          "Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nUsePAM yes\nX11Forwarding yes\nPrintMotd no\nAcceptEnv LANG LC_*\nSubsystem\tsftp\t/usr/lib/openssh/sftp-server\n",
		"usr/sbin/sshd":                                "",
		"usr/bin/sudo":                                 "",
		"etc/sudoers":                                  "Defaults\tenv_reset\nDefaults\tmail_badpass\nDefaults\tsecure_path=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\nDefaults\tuse_pty\nroot\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n",
		"etc/sudoers.d/90-cloud-init-users":            "# Created by cloud-init v. 22.4.2\n\n# User rules for cloud\ncloud ALL=(ALL) NOPASSWD:ALL\n",
		"etc/sudoers.d/ops":                            "ops ALL=(ALL) NOPASSWD: /usr/bin/systemctl restart nginx\n",
		"etc/pam.d/sshd":                               "@include common-auth\naccount    required     pam_nologin.so\n@include common-account\nsession [success=ok ignore=ignore module_unknown=ignore default=bad]        pam_selinux.so close\n@include common-session\n@include common-password\n",
		"etc/pam.d/common-account":                     "account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so \naccount\trequisite\t\t\tpam_deny.so\naccount\trequired\t\t\tpam_permit.so\n",
		"etc/pam.d/common-auth":                        "auth\t[success=1 default=ignore]\tpam_unix.so nullok\nauth\trequisite\t\t\tpam_deny.so\nauth\trequired\t\t\tpam_permit.so\n",
		"etc/pam.d/sudo":                               "#%PAM-1.0\nsession    required   pam_limits.so\n@include common-auth\n@include common-account\n@include common-session-noninteractive\n",
		"etc/pam.d/login":                              "auth       optional   pam_faildelay.so  delay=3000000\nauth       requisite  pam_nologin.so\n@include common-auth\naccount    required   pam_access.so\n@include common-account\n",
		"etc/security/access.conf":                     "# Login access control table.\n#\n# -:ALL EXCEPT root:tty1\n",
		"lib/x86_64-linux-gnu/security/pam_unix.so":    "",
		"lib/x86_64-linux-gnu/security/pam_deny.so":    "",
		"lib/x86_64-linux-gnu/security/pam_permit.so":  "",
		"lib/x86_64-linux-gnu/security/pam_nologin.so": "",
		"lib/x86_64-linux-gnu/security/pam_access.so":  "",
		"lib/x86_64-linux-gnu/security/pam_limits.so":  "",
		"lib/x86_64-linux-gnu/security/pam_selinux.so": "",
	}
}

// Tree writes files as a root filesystem; the shells are executable and
// sudo is setuid.
func Tree(t testing.TB, files map[string]string) target.Target {
	t.Helper()
	dir := targettest.Dir(t, files)
	for name, mode := range map[string]os.FileMode{"bin/bash": 0o755, "usr/sbin/nologin": 0o755, "bin/sh": 0o755, "usr/bin/sudo": 0o755 | os.ModeSetuid} {
		if _, ok := files[name]; ok {
			if err := os.Chmod(filepath.Join(dir, name), mode); err != nil {
				t.Fatal(err)
			}
		}
	}
	tg, err := target.OpenRootFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}
