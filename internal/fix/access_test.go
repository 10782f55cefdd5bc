package fix

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/access"
	"github.com/cradle-cra/cradle/internal/access/accesstest"
	"github.com/cradle-cra/cradle/internal/catalog"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target"
)

// applianceTree is accesstest's Debian 12 appliance with its os-release,
// changed by edits.
func applianceTree(t *testing.T, now time.Time, edits map[string]string) target.Target {
	t.Helper()
	files := accesstest.Appliance(now)
	files["etc/os-release"] = "ID=debian\nVERSION_ID=\"12\"\n"
	for k, v := range edits {
		if v == "" {
			delete(files, k)
		} else {
			files[k] += v
		}
	}
	return accesstest.Tree(t, files)
}

// TestAccessRefusesLockout plans rules that would lock someone out: they
// are refused before anything is written, with the accounts and ways they
// would take away; forcing one applies it and says what it takes away;
// a rule that only narrows how an account gets in is planned with a note.
func TestAccessRefusesLockout(t *testing.T) {
	eng, err := catalog.Load("test")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	hash := "$6$saltsalt$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnop"
	// dev logs in over SSH with a password only; root has a key.
	devAndRootKey := map[string]string{
		"etc/passwd":                "dev:x:1003:1003::/home/dev:/bin/bash\n",
		"etc/shadow":                "dev:" + hash + ":" + strconv.FormatInt(now.Unix()/86400-10, 10) + ":0:99999:7:::\n",
		"root/.ssh/authorized_keys": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIroot root@laptop\n",
	}
	// Only root has a key, and password logins are off.
	onlyRoot := map[string]string{
		"etc/ssh/sshd_config.d/10-site.conf": "PasswordAuthentication no\n",
		"root/.ssh/authorized_keys":          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIroot root@laptop\n",
		"home/admin/.ssh/authorized_keys":    "",
		"home/cloud/.ssh/authorized_keys":    "",
		"home/ops/.ssh/authorized_keys":      "",
		"etc/sudoers.d/90-cloud-init-users":  "",
	}
	ids := []string{"ssh.permit_root_login_none", "ssh.password_authentication"}
	for _, tc := range []struct {
		name  string
		edits map[string]string
		force []string
		want  map[string][]string // rule → status, then substrings of its reason
	}{
		{"refused", devAndRootKey, nil, map[string][]string{
			"ssh.password_authentication": {StatusRefused, "would lock out: dev: SSH password login: sshd PasswordAuthentication no and KbdInteractiveAuthentication no",
				"--force ssh.password_authentication"},
			"ssh.permit_root_login_none": {StatusPlanned, "narrows access without locking anyone out: root: SSH key login: sshd PermitRootLogin no"},
		}},
		{"forced", devAndRootKey, []string{"ssh.password_authentication"}, map[string][]string{
			"ssh.password_authentication": {StatusPlanned, "forced although it locks out: dev: SSH password login: sshd PasswordAuthentication no and KbdInteractiveAuthentication no",
				"narrows access without locking anyone out: admin: SSH password login"},
		}},
		{"root is the only way up", onlyRoot, nil, map[string][]string{
			"ssh.permit_root_login_none": {StatusRefused, "would lock out: root: SSH key login: sshd PermitRootLogin no"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := applianceTree(t, now, tc.edits)
			p, err := Make(context.Background(), eng, tg, Options{Engine: engine.Options{Profile: "strict", RuleIDs: ids, Now: now}, Force: tc.force})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]RuleFix{}
			for _, rf := range p.Rules {
				got[rf.Rule] = rf
			}
			refused := false
			for rule, want := range tc.want {
				rf, ok := got[rule]
				if !ok {
					t.Errorf("%s not planned; rules %+v", rule, p.Rules)
					continue
				}
				refused = refused || rf.Status == StatusRefused
				if rf.Status != want[0] {
					t.Errorf("%s: status %s (%s), want %s", rule, rf.Status, rf.Reason, want[0])
				}
				for _, s := range want[1:] {
					if !strings.Contains(rf.Reason, s) {
						t.Errorf("%s: reason %q lacks %q", rule, rf.Reason, s)
					}
				}
			}
			// What a refused rule would have written is not in the plan.
			if data := finalData(p, "etc/ssh/sshd_config"); refused && strings.Contains(data, "PasswordAuthentication no") && tc.force == nil {
				t.Errorf("refused change planned:\n%s", data)
			}
			if problems, err := p.VerifyAccess(context.Background(), p.Changes.Overlay()); err != nil || len(problems) != 0 {
				t.Errorf("the planned state verifies with problems %v, %v", problems, err)
			}
		})
	}
}

func finalData(p *Plan, path string) string {
	for _, pc := range p.Changes.Final() {
		if pc.Path == path {
			return string(pc.Data)
		}
	}
	return ""
}

// TestVerifyAccess: after an apply, what worked in the planned state and
// does not in the real target is reported, so the run is rolled back.
func TestVerifyAccess(t *testing.T) {
	eng, err := catalog.Load("test")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tg := applianceTree(t, now, nil)
	p, err := Make(context.Background(), eng, tg, Options{Engine: engine.Options{Profile: "strict", RuleIDs: []string{"ssh.password_authentication"}, Now: now}})
	if err != nil {
		t.Fatal(err)
	}
	// Someone locks the cloud administrator's key away behind the plan.
	if err := os.Remove(filepath.Join(tg.Name(), "home/cloud/.ssh/authorized_keys")); err != nil {
		t.Fatal(err)
	}
	problems, err := p.VerifyAccess(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if want := "cloud: SSH key login: no authorized key"; len(problems) != 1 || problems[0] != want {
		t.Errorf("problems %q, want %q", problems, want)
	}
}

func TestSSHDIrrelevant(t *testing.T) {
	op := func(path, diff string) *remedy.Op {
		return &remedy.Op{Kind: remedy.KindWrite, Path: path, Diff: diff}
	}
	for _, tc := range []struct {
		op   *remedy.Op
		want bool
	}{
		{op("/etc/ssh/sshd_config", "--- a/etc/ssh/sshd_config\n+++ b/etc/ssh/sshd_config\n@@ -1 +1,4 @@\n+# BEGIN cradle managed settings\n+Ciphers aes256-gcm@openssh.com\n+# END cradle managed settings\n-MACs hmac-sha1\n+#cradle: MACs hmac-sha1\n"), true},
		{op("/etc/ssh/sshd_config", "+++ b/etc/ssh/sshd_config\n+PermitRootLogin no\n"), false},
		{op("/etc/ssh/sshd_config", "+++ b/x\n-#cradle: passwordauthentication=yes\n"), false},
		{op("/etc/ssh/sshd_config.d/50-cloud-init.conf", "-PasswordAuthentication yes\n+#cradle: PasswordAuthentication yes\n"), false},
		{op("/etc/ssh/sshd_config", "+Match User admin\n+  X11Forwarding no\n"), false},
		{op("/etc/ssh/sshd_config", ""), false},
		{op("/etc/sudoers", "+Defaults use_pty\n"), false},
		{&remedy.Op{Kind: remedy.KindChmod, Path: "/etc/ssh/sshd_config"}, false},
	} {
		if got := sshdIrrelevant(tc.op); got != tc.want {
			t.Errorf("%s %q: %v, want %v", tc.op.Path, tc.op.Diff, got, tc.want)
		}
	}
}

// TestAccessUnmodelled: when the target's access cannot be modelled, the
// rules that touch the access files say that it was not verified.
func TestAccessUnmodelled(t *testing.T) {
	eng, err := catalog.Load("test")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tg := applianceTree(t, now, map[string]string{"etc/passwd": ""})
	if err := os.Mkdir(filepath.Join(tg.Name(), "etc/passwd"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := Make(context.Background(), eng, tg, Options{Engine: engine.Options{Profile: "strict", RuleIDs: []string{"ssh.password_authentication"}, Now: now}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Access.Err == nil || len(p.Rules) != 1 || p.Rules[0].Status != StatusPlanned || !strings.Contains(p.Rules[0].Reason, "who can log in was not verified: access: accounts: ") {
		t.Errorf("access error %v, rules %+v", p.Access.Err, p.Rules)
	}
}

// TestPackageLosses: removing openssh-server or sudo through the package
// manager takes the ways the overlay cannot show.
func TestPackageLosses(t *testing.T) {
	now := time.Now()
	m, err := access.Compute(context.Background(), applianceTree(t, now, nil), now)
	if err != nil {
		t.Fatal(err)
	}
	rt := []remedy.Runtime{
		{Kind: remedy.KindPackage, Key: "sudo", Action: "remove", Rules: []string{"packages.sudo.absent"}},
		{Kind: remedy.KindPackage, Key: "openssh-server", Action: "install", Rules: []string{"packages.sudo.absent"}},
		{Kind: remedy.KindPackage, Key: "telnetd", Action: "remove", Rules: []string{"packages.sudo.absent"}},
	}
	got := access.Summary(packageLosses(m, "packages.sudo.absent", rt))
	if len(got) != 4 || !slices.Contains(got, "ops: sudo /usr/bin/systemctl restart nginx (as ALL): package sudo removed") {
		t.Errorf("losses %q", got)
	}
	if l := packageLosses(m, "other.rule", rt); len(l) != 0 {
		t.Errorf("another rule's removal counted: %v", l)
	}
}
