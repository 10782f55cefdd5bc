package access

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/access/accesstest"
	"github.com/cradle-cra/cradle/internal/target"
)

// now is the model's time in the tests: 2026-12-05.
var now = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

var today = now.Unix() / 86400

func appliance() map[string]string { return accesstest.Appliance(now) }

func tree(t *testing.T, files map[string]string) target.Target { return accesstest.Tree(t, files) }

func compute(t *testing.T, files map[string]string) *Model {
	t.Helper()
	m, err := Compute(context.Background(), tree(t, files), now)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// ways renders an account's ways as "name: status[: reason]".
func ways(m *Model, user string) map[string]string {
	out := map[string]string{}
	for _, w := range m.Ways(user) {
		s := string(w.Status)
		if w.NoPassword {
			s += " nopasswd"
		}
		if w.Reason != "" {
			s += ": " + w.Reason
		}
		out[w.Name] = s
	}
	return out
}

func with(edits map[string]string) map[string]string {
	f := appliance()
	for k, v := range edits {
		if v == "" && strings.HasPrefix(k, "-") {
			delete(f, k[1:])
			continue
		}
		f[k] = v
	}
	return f
}

func TestModelAppliance(t *testing.T) {
	m := compute(t, appliance())
	want := map[string]map[string]string{
		"root": {
			"SSH key login":          "refused: no authorized key",
			"SSH password login":     "refused: sshd PermitRootLogin prohibit-password",
			"console password login": "works",
			"sudo ALL (as ALL:ALL)":  "works",
		},
		"admin": {
			"SSH key login":          "works",
			"SSH password login":     "works",
			"console password login": "works",
			"sudo ALL (as ALL:ALL)":  "works",
		},
		"cloud": {
			"SSH key login":          "works",
			"SSH password login":     "refused: password locked",
			"console password login": "refused: password locked",
			"sudo ALL (as ALL)":      "works nopasswd",
		},
		"ops": {
			"SSH key login":                                  "works",
			"SSH password login":                             "refused: password disabled",
			"console password login":                         "refused: password disabled",
			"sudo /usr/bin/systemctl restart nginx (as ALL)": "works nopasswd",
		},
		"svc": {
			"SSH key login":          "refused: shell /usr/sbin/nologin does not allow logins",
			"SSH password login":     "refused: shell /usr/sbin/nologin does not allow logins",
			"console password login": "refused: shell /usr/sbin/nologin does not allow logins",
		},
	}
	for user, w := range want {
		if got := ways(m, user); !maps.Equal(got, w) {
			t.Errorf("%s:\n got %v\nwant %v", user, got, w)
		}
	}
	if a := m.Account("admin"); len(a.Keys) != 1 || a.Keys[0] != "/home/admin/.ssh/authorized_keys" {
		t.Errorf("admin keys = %v", a.Keys)
	}
	if len(m.Notes) != 0 {
		t.Errorf("notes = %v", m.Notes)
	}
}

// TestModelCases changes one thing of the appliance and checks one way.
func TestModelCases(t *testing.T) {
	shadowAdmin := func(fields string) map[string]string {
		f := appliance()
		var lines []string
		for _, l := range strings.Split(f["etc/shadow"], "\n") {
			if strings.HasPrefix(l, "admin:") {
				parts := strings.SplitN(l, ":", 3)
				l = parts[0] + ":" + parts[1] + ":" + fields
			}
			lines = append(lines, l)
		}
		f["etc/shadow"] = strings.Join(lines, "\n")
		return f
	}
	sshd := func(extra string) map[string]string {
		return with(map[string]string{"etc/ssh/sshd_config.d/50-site.conf": extra})
	}
	for _, tc := range []struct {
		name      string
		files     map[string]string
		user, way string
		want      string
	}{
		{"inactive after ageing", shadowAdmin(fmt.Sprintf("%d:0:365:7:30::", today-400)), "admin", "SSH key login",
			"refused: PAM account management would refuse: account inactive since " + day(today-400+365+30)},
		{"inactive also stops sudo", shadowAdmin(fmt.Sprintf("%d:0:365:7:30::", today-400)), "admin", "sudo ALL (as ALL:ALL)",
			"refused: PAM account management would refuse: account inactive since " + day(today-400+365+30)},
		{"password expired needs a change", shadowAdmin(fmt.Sprintf("%d:0:365:7:::", today-400)), "admin", "SSH key login",
			"refused: PAM account management requires a password change first: password expired since " + day(today-400+365)},
		{"expiry in the future", shadowAdmin(fmt.Sprintf("%d:0:99999:7::%d:", today-400, today+1)), "admin", "SSH key login", "works"},
		{"account expired", shadowAdmin(fmt.Sprintf("%d:0:99999:7::%d:", today-400, today)), "admin", "SSH key login",
			"refused: PAM account management would refuse: account expired on " + day(today)},
		{"forced change", shadowAdmin("0:0:99999:7:::"), "admin", "console password login",
			"refused: PAM account management requires a password change first: password change forced (last change 0)"},
		{"ageing without a last change", shadowAdmin("::99999:7:::"), "admin", "SSH key login", "works"},
		{"empty last change counts as -1", shadowAdmin("::365:7:30::"), "admin", "SSH key login",
			"refused: PAM account management would refuse: account inactive since " + day(-1+365+30)},
		{"password expires on the day", shadowAdmin(fmt.Sprintf("%d:0:365:7:::", today-365)), "admin", "SSH key login",
			"refused: PAM account management requires a password change first: password expired since " + day(today)},
		{"password valid the day before", shadowAdmin(fmt.Sprintf("%d:0:365:7:::", today-364)), "admin", "SSH key login", "works"},
		{"last change in the future", shadowAdmin(fmt.Sprintf("%d:0:1:7:1::", today+10)), "admin", "SSH key login", "works"},
		{"nologin file", with(map[string]string{"etc/nologin": "maintenance\n"}), "admin", "SSH key login",
			"refused: PAM account management would refuse: /etc/nologin exists (pam_nologin)"},
		{"nologin file spares root", with(map[string]string{"etc/nologin": "maintenance\n"}), "root", "console password login", "works"},
		{"nologin file spares sudo", with(map[string]string{"etc/nologin": "maintenance\n"}), "ops", "sudo /usr/bin/systemctl restart nginx (as ALL)", "works nopasswd"},
		{"root login off", sshd("PermitRootLogin no\n"), "root", "SSH key login", "refused: sshd PermitRootLogin no"},
		{"root key allowed", with(map[string]string{"root/.ssh/authorized_keys": "ssh-rsa AAAA root\n"}), "root", "SSH key login", "works"},
		{"root password allowed", sshd("PermitRootLogin yes\n"), "root", "SSH password login", "works"},
		{"password auth off", sshd("PasswordAuthentication no\n"), "admin", "SSH password login", "refused: sshd PasswordAuthentication no and KbdInteractiveAuthentication no"},
		{"keyboard-interactive with PAM", sshd("PasswordAuthentication no\nKbdInteractiveAuthentication yes\n"), "admin", "SSH password login", "works"},
		{"pubkey off", sshd("PubkeyAuthentication no\n"), "cloud", "SSH key login", "refused: sshd PubkeyAuthentication no"},
		{"AllowUsers", sshd("AllowUsers admin ops@10.0.0.*\n"), "cloud", "SSH key login", "refused: not in sshd AllowUsers"},
		{"AllowUsers with host", sshd("AllowUsers admin ops@10.0.0.*\n"), "ops", "SSH key login", "works"},
		{"DenyUsers pattern", sshd("DenyUsers cl*\n"), "cloud", "SSH key login", "refused: sshd DenyUsers cl*"},
		{"AllowGroups", sshd("AllowGroups sudo\n"), "ops", "SSH key login", "refused: in no group of sshd AllowGroups"},
		{"AllowGroups member", sshd("AllowGroups sudo\n"), "admin", "SSH key login", "works"},
		{"DenyGroups primary", sshd("DenyGroups cloud\n"), "cloud", "SSH key login", "refused: sshd DenyGroups cloud"},
		{"Match User overrides", sshd("PasswordAuthentication no\nMatch User admin\n  PasswordAuthentication yes\n"), "admin", "SSH password login", "works"},
		{"Match User other", sshd("PasswordAuthentication no\nMatch User admin\n  PasswordAuthentication yes\n"), "cloud", "SSH password login", "refused: sshd PasswordAuthentication no and KbdInteractiveAuthentication no"},
		{"Match Group negated", sshd("Match Group *,!sudo\n  PubkeyAuthentication no\n"), "admin", "SSH key login", "works"},
		{"Match Group selects", sshd("Match Group *,!sudo\n  PubkeyAuthentication no\n"), "ops", "SSH key login", "refused: sshd PubkeyAuthentication no"},
		{"Match Address ignored", sshd("Match Address 10.0.0.0/8\n  PubkeyAuthentication no\n"), "ops", "SSH key login", "works"},
		{"AuthenticationMethods both", sshd("AuthenticationMethods publickey,password\n"), "admin", "SSH key login", "refused: sshd AuthenticationMethods publickey,password"},
		{"AuthenticationMethods both combined", sshd("AuthenticationMethods publickey,password\n"), "admin", "SSH login with publickey+password", "works"},
		{"AuthenticationMethods both, no password", sshd("AuthenticationMethods publickey,password\n"), "cloud", "SSH login with publickey+password", "refused: password: password locked"},
		{"AuthenticationMethods key", sshd("AuthenticationMethods publickey\n"), "cloud", "SSH key login", "works"},
		{"AuthorizedKeysFile elsewhere", sshd("AuthorizedKeysFile /etc/ssh/keys/%u\n"), "admin", "SSH key login", "refused: no authorized key"},
		{"AuthorizedKeysFile token", with(map[string]string{"etc/ssh/sshd_config.d/k.conf": "AuthorizedKeysFile /etc/ssh/keys/%u\n", "etc/ssh/keys/svc": "ssh-ed25519 AAAA x\n", "etc/ssh/keys/ops": "ssh-ed25519 AAAA x\n"}), "ops", "SSH key login", "works"},
		{"AuthorizedKeysCommand", sshd("AuthorizedKeysCommand /usr/bin/sss_ssh_authorizedkeys\nAuthorizedKeysCommandUser nobody\n"), "root", "SSH key login", "unknown: keys only from AuthorizedKeysCommand /usr/bin/sss_ssh_authorizedkeys"},
		{"shell missing", with(map[string]string{"-bin/bash": ""}), "admin", "SSH key login", "refused: shell /bin/bash does not exist"},
		{"without PAM, locked", sshd("UsePAM no\n"), "cloud", "SSH key login", "refused: password locked and sshd does not use PAM (UsePAM no)"},
		{"without PAM, expiry", func() map[string]string {
			f := shadowAdmin(fmt.Sprintf("%d:0:99999:7::%d:", today-400, today-1))
			f["etc/ssh/sshd_config.d/x.conf"] = "UsePAM no\n"
			return f
		}(), "admin", "SSH key login", "refused: PAM account management would refuse: account expired on " + day(today-1)},
		{"pam module missing", with(map[string]string{"etc/pam.d/common-account": "account required pam_faillock.so\n" + appliance()["etc/pam.d/common-account"]}), "admin", "SSH key login",
			"refused: PAM account management would refuse: module pam_faillock.so is not installed (/etc/pam.d/common-account:1)"},
		{"pam module missing, quiet", with(map[string]string{"etc/pam.d/common-account": "-account required pam_faillock.so\n" + appliance()["etc/pam.d/common-account"]}), "admin", "SSH key login", "works"},
		{"pam faillock installed", with(map[string]string{"lib/x86_64-linux-gnu/security/pam_faillock.so": "", "etc/pam.d/common-account": appliance()["etc/pam.d/common-account"] + "account required pam_faillock.so\n"}), "admin", "SSH key login", "works"},
		{"pam unknown module deciding", with(map[string]string{"lib/x86_64-linux-gnu/security/pam_sss.so": "", "etc/pam.d/common-account": "account requisite pam_sss.so\n" + appliance()["etc/pam.d/common-account"]}), "admin", "SSH key login",
			"unknown: PAM account management: the outcome depends on modules cradle does not model: pam_sss.so (/etc/pam.d/common-account:1)"},
		{"pam unknown module optional", with(map[string]string{"lib/x86_64-linux-gnu/security/pam_sss.so": "", "etc/pam.d/common-account": appliance()["etc/pam.d/common-account"] + "account optional pam_sss.so\n"}), "admin", "SSH key login", "works"},
		{"pam_access with rules", with(map[string]string{"etc/security/access.conf": "-:ALL EXCEPT root:tty1\n"}), "admin", "console password login",
			"unknown: PAM account management: the outcome depends on modules cradle does not model: pam_access.so (/etc/pam.d/login:4)"},
		{"pam_succeed_if", with(map[string]string{"lib/x86_64-linux-gnu/security/pam_succeed_if.so": "", "etc/pam.d/sshd": "account requisite pam_succeed_if.so uid >= 1000 quiet\n@include common-account\n"}), "root", "SSH key login", "refused: no authorized key"},
		{"pam_succeed_if refuses", with(map[string]string{"root/.ssh/authorized_keys": "ssh-rsa AAAA root\n", "lib/x86_64-linux-gnu/security/pam_succeed_if.so": "", "etc/pam.d/sshd": "account requisite pam_succeed_if.so uid >= 1000 quiet\n@include common-account\n"}), "root", "SSH key login",
			"refused: PAM account management would refuse: condition of pam_succeed_if.so (/etc/pam.d/sshd:1) not met"},
		{"sudo NOPASSWD removed", with(map[string]string{"etc/sudoers.d/90-cloud-init-users": "cloud ALL=(ALL) ALL\n"}), "cloud", "sudo ALL (as ALL)", "refused: needs cloud's password, which is not usable"},
		{"sudo later rule decides", with(map[string]string{"etc/sudoers.d/zz": "admin ALL=(ALL) NOPASSWD: ALL\n"}), "admin", "sudo ALL (as ALL:ALL)", "works nopasswd"},
		{"sudo User_Alias", with(map[string]string{"etc/sudoers.d/ops": "User_Alias AUTOMATION = ops, deploy\nCmnd_Alias NGINX = /usr/bin/systemctl restart nginx, /usr/bin/systemctl reload nginx\nAUTOMATION ALL=(root) NOPASSWD: NGINX\n"}), "ops", "sudo /usr/bin/systemctl reload nginx (as root)", "works nopasswd"},
		{"sudo group by gid", with(map[string]string{"etc/sudoers.d/ops": "%#1002 ALL=(ALL) NOPASSWD: /usr/bin/systemctl restart nginx\n"}), "ops", "sudo /usr/bin/systemctl restart nginx (as ALL)", "works nopasswd"},
		{"sudo negated user", with(map[string]string{"etc/sudoers.d/ops": "ALL,!ops ALL=(ALL) NOPASSWD: /usr/bin/systemctl restart nginx\n"}), "admin", "sudo /usr/bin/systemctl restart nginx (as ALL)", "works nopasswd"},
		{"sudo other host", with(map[string]string{"etc/sudoers.d/ops": "ops db1=(ALL) NOPASSWD: /usr/bin/systemctl restart nginx\nops appliance=(ALL) NOPASSWD: /usr/bin/true\n"}), "ops", "sudo /usr/bin/true (as ALL)", "works nopasswd"},
		{"sudo !authenticate", with(map[string]string{"etc/sudoers.d/zz": "Defaults:admin !authenticate\n"}), "admin", "sudo ALL (as ALL:ALL)", "works nopasswd"},
		{"sudo rootpw", with(map[string]string{"etc/sudoers.d/zz": "Defaults rootpw\n", "etc/sudoers.d/90-cloud-init-users": "cloud ALL=(ALL) ALL\n"}), "cloud", "sudo ALL (as ALL)", "works"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := compute(t, tc.files)
			got, ok := ways(m, tc.user)[tc.way]
			if !ok {
				t.Fatalf("%s has no way %q; ways: %v", tc.user, tc.way, ways(m, tc.user))
			}
			if got != tc.want {
				t.Errorf("%s %s:\n got %s\nwant %s", tc.user, tc.way, got, tc.want)
			}
		})
	}
}

// TestManyAccounts: accounts beyond the bound are noted, not modelled.
func TestManyAccounts(t *testing.T) {
	f := appliance()
	var b strings.Builder
	b.WriteString(f["etc/passwd"])
	for i := range maxAccounts + 10 {
		fmt.Fprintf(&b, "u%d:x:%d:100::/nonexistent:/usr/sbin/nologin\n", i, 20000+i)
	}
	f["etc/passwd"] = b.String()
	m := compute(t, f)
	if len(m.Accounts) != maxAccounts || !slices.ContainsFunc(m.Notes, func(n string) bool { return strings.Contains(n, "the rest are not modelled") }) {
		t.Errorf("%d accounts, notes %v", len(m.Accounts), m.Notes)
	}
}
