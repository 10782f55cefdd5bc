package checks

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/access"
	"github.com/cradle-cra/cradle/internal/collect/accounts"
	"github.com/cradle-cra/cradle/internal/collect/sudoers"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
)

// lockoutFiles reads testdata/lockout: a Debian 12 account database and
// sudoers policy with the accounts that a careless fix locks out — alice,
// an administrator with an SSH key and a password last changed in 2019;
// cloud, a cloud-init administrator with a locked password and
// NOPASSWD: ALL; ops, an automation account with a locked password and a
// command-restricted NOPASSWD rule; app, a service account; bob, a user
// with a recent password.
func lockoutFiles(t *testing.T, extra map[string]string) map[string]string {
	t.Helper()
	files := map[string]string{}
	root := filepath.Join("testdata", "lockout")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range extra {
		if v == "" {
			delete(files, k)
			continue
		}
		files[k] = v
	}
	return files
}

// deferredOps lists the summary and reason of each deferred operation.
func deferredOps(ch *remedy.Changes) []string {
	var out []string
	for _, op := range ch.Ops() {
		if op.Deferred() {
			out = append(out, op.Summary+": "+op.Reason)
		}
	}
	return out
}

func TestSudoNopasswdFix(t *testing.T) {
	tg := lockoutTree(t, nil)
	c := newCheck(t, sudoRuleTemplate{}, `{forbid: nopasswd}`)
	ch := planFix(t, c, tg)

	// Lines whose accounts all have a password lose just the tag.
	want := "# Deployers patch the host; \"NOPASSWD: comments\" stay as they are\n" +
		"DEPLOY\tALL=(root) PATCH, \\\n" +
		"\tSETENV:/usr/bin/make install\t# NOPASSWD: in a comment\n" +
		"bob\tALL = (ALL:ALL) /usr/bin/echo NOPASSWD\\: x, PASSWD: /bin/sh\n"
	if got := planned(t, ch, "etc/sudoers.d/deploy"); got != want {
		t.Errorf("deploy:\n%s\nwant:\n%s", got, want)
	}
	// The others keep their grant, byte for byte.
	for _, f := range []string{"etc/sudoers.d/90-cloud-init-users", "etc/sudoers.d/ops", "etc/sudoers.d/netgroup", "etc/sudoers"} {
		if got, orig := planned(t, ch, f), lockoutFiles(t, nil)[f]; got != orig {
			t.Errorf("%s changed:\n%s", f, got)
		}
	}
	def := strings.Join(deferredOps(ch), "\n")
	for _, w := range []string{
		"keep the NOPASSWD rule for cloud (/etc/sudoers.d/90-cloud-init-users:4): cloud has no usable password: requiring one would remove their sudo; set a password first (passwd cloud) or waive the rule",
		"keep the NOPASSWD rule for ops (/etc/sudoers.d/ops:2): ops has no usable password",
		"the rule runs only /usr/bin/systemctl restart nginx, which looks like automation calling sudo -n",
		"keep the NOPASSWD rule for +admins (/etc/sudoers.d/netgroup:1): the rule names accounts whose password cannot be checked in the local files (netgroup +admins)",
	} {
		if !strings.Contains(def, w) {
			t.Errorf("deferred lacks %q:\n%s", w, def)
		}
	}
	if n := len(deferredOps(ch)); n != 3 {
		t.Errorf("%d deferred, want 3:\n%s", n, def)
	}
	for _, e := range []remedy.Effect{
		{Kind: remedy.EffectSudoPassword, Subject: "alice", Value: "/usr/bin/apt-get update, /usr/bin/apt-get upgrade, /usr/bin/make install"},
		{Kind: remedy.EffectSudoPassword, Subject: "bob", Value: "/usr/bin/apt-get update, /usr/bin/apt-get upgrade, /usr/bin/make install"},
		{Kind: remedy.EffectSudoPassword, Subject: "bob", Value: "/usr/bin/echo NOPASSWD\\: x"},
		{Kind: remedy.EffectAuthPolicy, Subject: "sudo nopasswd"},
	} {
		if !hasEffect(ch, e) {
			t.Errorf("no effect %+v in %+v", e, fxEffects(ch))
		}
	}
	for _, op := range ch.Ops() {
		if op.Deferred() && len(op.Effects) > 0 {
			t.Errorf("deferred op %q carries effects %+v", op.Summary, op.Effects)
		}
	}
	if err := sudoers.Validate([]byte(planned(t, ch, "etc/sudoers.d/deploy"))); err != nil {
		t.Error(err)
	}
	// The re-scan stays honest: the deferred rules still fail, nothing else.
	o := status(c, ch.Overlay())
	if o.Status != result.Fail || len(o.Evidence) != 3 {
		t.Fatalf("after: %s %+v", o.Status, o.Evidence)
	}
	for _, ev := range o.Evidence {
		if !strings.Contains("/etc/sudoers.d/90-cloud-init-users /etc/sudoers.d/ops /etc/sudoers.d/netgroup", ev.File) {
			t.Errorf("still flagged: %+v", ev)
		}
	}
	// Planning again on the planned state writes nothing.
	ch2 := planFix(t, c, ch.Overlay())
	for _, op := range ch2.Ops() {
		if !op.Deferred() {
			t.Errorf("second plan: %s %s", op.Kind, op.Path)
		}
	}
}

func TestSudoNopasswdFixCases(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		file  string
		want  string // planned content of file; "" = unchanged
		def   string // a deferred reason, when one is expected
	}{
		{"user with a password", map[string]string{"etc/sudoers.d/x": "bob ALL=(ALL) NOPASSWD:ALL\n"}, "etc/sudoers.d/x", "bob ALL=(ALL) ALL\n", ""},
		{"group, primary members included", map[string]string{"etc/sudoers.d/x": "%bob ALL=(ALL) NOPASSWD: ALL\n"}, "etc/sudoers.d/x", "%bob ALL=(ALL) ALL\n", ""},
		{"group by gid", map[string]string{"etc/sudoers.d/x": "%#1010\tALL=NOPASSWD: ALL\n"}, "etc/sudoers.d/x", "%#1010\tALL=ALL\n", ""},
		{"sudo group has a locked member", map[string]string{"etc/sudoers.d/x": "%sudo ALL=(ALL:ALL) NOPASSWD: ALL\n"}, "etc/sudoers.d/x", "", "cloud has no usable password"},
		{"uid", map[string]string{"etc/sudoers.d/x": "#1001 ALL=(ALL) NOPASSWD: ALL\n"}, "etc/sudoers.d/x", "", "cloud has no usable password"},
		{"alias with a locked member", map[string]string{"etc/sudoers.d/x": "User_Alias ROBOTS = ops, bob\nROBOTS ALL=(ALL) NOPASSWD: ALL\n"}, "etc/sudoers.d/x", "", "ops has no usable password"},
		{"unknown user", map[string]string{"etc/sudoers.d/x": "deploy ALL=(ALL) NOPASSWD: ALL\n"}, "etc/sudoers.d/x", "", "deploy is not in /etc/passwd"},
		{"unknown group", map[string]string{"etc/sudoers.d/x": "%ldapadmins ALL=(ALL) NOPASSWD: ALL\n"}, "etc/sudoers.d/x", "", "group ldapadmins is not in /etc/group"},
		{"ALL users", map[string]string{"etc/sudoers.d/x": "ALL ALL=(ALL) NOPASSWD: /usr/bin/uptime\n"}, "etc/sudoers.d/x", "", "ALL users"},
		{"undefined alias", map[string]string{"etc/sudoers.d/x": "ADMINS ALL=(ALL) NOPASSWD: ALL\n"}, "etc/sudoers.d/x", "", "alias ADMINS is not defined"},
		{"cyclic aliases", map[string]string{"etc/sudoers.d/x": "User_Alias A = B\nUser_Alias B = A\nA ALL=(ALL) NOPASSWD: ALL\n"}, "etc/sudoers.d/x", "", "alias A includes itself"},
		{"empty password", map[string]string{"etc/sudoers.d/x": "bob ALL=(ALL) NOPASSWD: ALL\n", "etc/shadow": strings.Replace(lockoutFiles(t, nil)["etc/shadow"], "bob:$6$", "bob::x$6$", 1)}, "etc/sudoers.d/x", "", "bob has no usable password"},
		{"several host groups", map[string]string{"etc/sudoers.d/x": "bob web1 = NOPASSWD: /bin/a : db1 = (postgres) NOPASSWD: /bin/b\n"}, "etc/sudoers.d/x", "bob web1 = /bin/a : db1 = (postgres) /bin/b\n", ""},
		{"expired password", map[string]string{"etc/sudoers.d/x": "frank ALL=(ALL) NOPASSWD: ALL\n"}, "etc/sudoers.d/x", "", "frank has an expired password: sudo lets a NOPASSWD rule through"},
		{"group member from a directory", map[string]string{"etc/sudoers.d/x": "%deployers ALL=(ALL) NOPASSWD: ALL\n", "etc/group": strings.Replace(lockoutFiles(t, nil)["etc/group"], "deployers:x:1010:bob", "deployers:x:1010:bob,ldapuser", 1)}, "etc/sudoers.d/x", "", "ldapuser (group deployers) is not in /etc/passwd"},
		{"shadow unreadable", map[string]string{"etc/sudoers.d/x": "bob ALL=(ALL) NOPASSWD: ALL\n", "etc/shadow": "", "etc/shadow/x": "not a file\n"}, "etc/sudoers.d/x", "", "/etc/shadow unreadable"},
		{"root needs no password", map[string]string{"etc/sudoers.d/x": "root, bob ALL=(ALL) NOPASSWD: ALL\n"}, "etc/sudoers.d/x", "root, bob ALL=(ALL) ALL\n", ""},
	}
	base := map[string]string{"etc/sudoers.d/90-cloud-init-users": "", "etc/sudoers.d/ops": "", "etc/sudoers.d/deploy": "", "etc/sudoers.d/netgroup": ""}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra := map[string]string{}
			for k, v := range base {
				extra[k] = v
			}
			for k, v := range tt.files {
				extra[k] = v
			}
			files := lockoutFiles(t, extra)
			ch := remedy.New(lockoutTree(t, extra))
			ch.SetNow(lockoutNow)
			ch.Begin("r", remedy.Meta{})
			remediate(t, newCheck(t, sudoRuleTemplate{}, `{forbid: nopasswd}`), ch)
			want := tt.want
			if want == "" {
				want = files[tt.file]
			}
			if got := planned(t, ch, tt.file); got != want {
				t.Errorf("planned:\n%s\nwant:\n%s", got, want)
			}
			def := strings.Join(deferredOps(ch), "\n")
			if tt.def == "" && def != "" || !strings.Contains(def, tt.def) {
				t.Errorf("deferred %q, want %q", def, tt.def)
			}
		})
	}
}

func TestSudoCommandsBounded(t *testing.T) {
	aliases := map[string][]string{}
	for i := range maxAliasDepth + 2 {
		var m []string
		for j := range 50 {
			m = append(m, fmt.Sprintf("A%d", i+1), fmt.Sprintf("/bin/c%d_%d", i, j))
		}
		aliases[fmt.Sprintf("A%d", i)] = m
	}
	if got := sudoCommands([]string{"A0"}, aliases); len(got) != maxEffectCommands {
		t.Fatalf("%d commands", len(got))
	}
	// Every alias names the next one 50 times: expanded once each.
	users := map[string][]string{}
	for i := range 40 {
		users[fmt.Sprintf("U%d", i)] = slices.Repeat([]string{fmt.Sprintf("U%d", i+1)}, 50)
	}
	users["U40"] = []string{"bob"}
	names, problems := sudoUsers([]string{"U0"}, users, &accounts.DB{Users: []accounts.User{{Name: "bob"}}})
	if len(names) != 0 || len(problems) != 1 || problems[0] != "alias U8 nests too deep" {
		t.Fatalf("%q %q", names, problems)
	}
	if got := sudoCommands([]string{"PATCH", "/bin/x"}, map[string][]string{"PATCH": {"/a", "/b"}}); strings.Join(got, " ") != "/a /b /bin/x" {
		t.Fatalf("%q", got)
	}
}

func TestSudoDropNopasswd(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"u ALL=(ALL) NOPASSWD: ALL", "u ALL=(ALL) ALL"},
		{"u ALL=NOPASSWD:ALL", "u ALL=ALL"},
		{"u ALL=(ALL) NOPASSWD:SETENV: /bin/a, NOPASSWD: /bin/b # NOPASSWD: here", "u ALL=(ALL) SETENV: /bin/a, /bin/b # NOPASSWD: here"},
		{"NOPASSWD ALL=(ALL) ALL", "NOPASSWD ALL=(ALL) ALL"},
		{"u ALL=(ALL) /bin/echo NOPASSWD: x", "u ALL=(ALL) /bin/echo NOPASSWD: x"},
		{"u ALL=(ALL) NOPASSWDX: ALL", "u ALL=(ALL) NOPASSWDX: ALL"},
		{"u ALL=(ALL) /usr/bin/NOPASSWD: x", "u ALL=(ALL) /usr/bin/NOPASSWD: x"},
	} {
		if got, _ := sudoDropNopasswd(tt.in, 'x'); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// lockoutTree opens lockoutFiles as a target.
func lockoutTree(t *testing.T, extra map[string]string) target.Target {
	t.Helper()
	files := lockoutFiles(t, extra)
	// Programs are executable: sshd refuses a shell that is not.
	modes := map[string]os.FileMode{}
	for p := range files {
		if strings.HasPrefix(p, "bin/") || strings.HasPrefix(p, "usr/sbin/") {
			modes[p] = 0o755
		}
	}
	return modeTree(t, files, modes, nil)
}

// lockoutNow is the day the ageing tests plan for: 2026-12-05, shadow day 20792.
var lockoutNow = time.Date(2026, 12, 5, 9, 30, 0, 0, time.UTC)

// planAgeing plans the account_property rules args, in order, into one
// change set for lockoutNow.
func planAgeing(t *testing.T, tg target.Target, args ...string) *remedy.Changes {
	t.Helper()
	ch := remedy.New(tg)
	ch.SetNow(lockoutNow)
	for i, a := range args {
		fxPlan(t, ch, fmt.Sprintf("ageing.%d", i), accountPropertyTemplate{}, a)
	}
	return ch
}

func TestAgeingFixNeverExpiresToday(t *testing.T) {
	const (
		maxDays  = `{property: password_max_days, value: 365}`
		inactive = `{property: password_inactive, value: 45}`
	)
	tests := []struct {
		name     string
		args     []string
		want     []string // planned shadow lines (prefixes up to the ageing fields)
		deferred []string
	}{
		{"maximum age", []string{maxDays}, []string{
			// bob changed his password 92 days ago: a year is fine.
			"bob:$6$Vq1pBJ3GKdnrUqXn$3Hd7UucZBcXKpnMUQO4tOzAcUn7HFmyXsJdYxa0DRR1w6bNKoUd04ddm6zS8F/o6MTSyhZxyp4cF6l/Q0Uiwe1:20700:0:365:7:::\n",
			// frank's maximum age (90) already complies.
			":20600:0:90:7:::\n",
			// alice (2019) and dave (no last-change day) are left alone.
			":18000:0:99999:7:::\n",
			"::0:99999:7:::\n",
			// accounts without a usable password are not the rule's business.
			"cloud:!:19640:0:99999:7:::\n",
		}, []string{
			"set password_max_days to 365 for alice: alice's password was last changed 2019-04-14, 2792 days ago; with password_max_days 365 its password would expire today",
			"(now: valid); have alice change the password first (passwd alice), then fix again, or waive the rule for alice",
			"set password_max_days to 365 for dave: dave's password was last changed never (empty field)",
		}},
		{"inactive period", []string{inactive}, []string{
			":18000:0:99999:7:45::\n", ":20700:0:99999:7:45::\n", "::0:99999:7:45::\n",
			// frank's expired password would disable the account today.
			":20600:0:90:7:::\n",
		}, []string{
			"set password_inactive to 45 for frank: frank's password was last changed 2026-05-27, 192 days ago; with password_inactive 45 the account would be disabled today: PAM account management then refuses every login, SSH keys included (now: password expired since 2026-08-25)",
		}},
		{"inactive then maximum age", []string{inactive, maxDays}, []string{
			":18000:0:99999:7:45::\n", ":20700:0:365:7:45::\n", ":20600:0:90:7:::\n",
		}, []string{
			"for alice: alice's password was last changed 2019-04-14, 2792 days ago; with password_max_days 365 the account would be disabled today",
			"set password_inactive to 45 for frank",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := lockoutTree(t, nil)
			ch := planAgeing(t, tg, tt.args...)
			got := planned(t, ch, "etc/shadow")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("planned shadow lacks %q:\n%s", w, got)
				}
			}
			def := strings.Join(deferredOps(ch), "\n")
			for _, w := range tt.deferred {
				if !strings.Contains(def, w) {
					t.Errorf("deferred lacks %q:\n%s", w, def)
				}
			}
			// No account is worse off today than before the plan.
			before, _ := accounts.Collect(context.Background(), tg)
			after, _ := accounts.Collect(context.Background(), ch.Overlay())
			today := dayOf(lockoutNow)
			for i := range before.Users {
				b := &before.Users[i]
				a := accountByName(after, b.Name)
				if b.Shadow == nil || a == nil || a.Shadow == nil {
					continue
				}
				if was, is := access.ShadowExpiry(b.Shadow, today), access.ShadowExpiry(a.Shadow, today); ageRank(is) > ageRank(was) {
					t.Errorf("%s: %s -> %s", b.Name, ageText(was), ageText(is))
				}
			}
		})
	}
}

func TestAgeingFixNeedsTheDate(t *testing.T) {
	ch := remedy.New(lockoutTree(t, nil))
	ch.Begin("r", remedy.Meta{})
	remediate(t, newCheck(t, accountPropertyTemplate{}, `{property: password_max_days, value: 365}`), ch)
	if ops := ch.Ops(); len(ops) != 1 || !ops[0].Deferred() || !strings.Contains(ops[0].Reason, "date the plan is for is not known") {
		t.Fatalf("ops %+v", ops)
	}
}

func TestAccountFixesSpareAdministrators(t *testing.T) {
	base := lockoutFiles(t, nil)
	// backup: a system account (UID 34) in the sudo group with a login
	// shell and a password.
	withBackup := map[string]string{
		"etc/passwd":       base["etc/passwd"] + "backup:x:34:34:backup:/var/backups:/bin/bash\n",
		"etc/shadow":       base["etc/shadow"] + "backup:$y$j9T$0N4WVnW6cw0dOoJzYS.Hl/$Gd4kk1m4bDn7xTJ4hL0WKCAuLxsoN/Fdt2S2uDT0Ri3:20700:0:99999:7:::\n",
		"etc/group":        strings.Replace(base["etc/group"], "sudo:x:27:alice,cloud", "sudo:x:27:alice,cloud,backup", 1) + "backup:x:34:\n",
		"usr/sbin/nologin": "\x7fELF",
	}
	emptyAlice := map[string]string{"etc/shadow": strings.Replace(base["etc/shadow"], "alice:$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7:", "alice::", 1)}
	merge := func(ms ...map[string]string) map[string]string {
		out := map[string]string{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	backupKey := map[string]string{"var/backups/.ssh/authorized_keys": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ5mYbXVyE8dQm0Kc8G6l5Q8n3tZxkq0Y1m1kQ3pWb2B backup@vault\n"}
	tests := []struct {
		name, args string
		extra      map[string]string
		file, want string // a line of the planned file
		deferred   string
	}{
		{"shell of an administrator", `{property: system_accounts_nologin}`, withBackup,
			"etc/passwd", "backup:x:34:34:backup:/var/backups:/bin/bash\n",
			"set the shell of backup to /usr/sbin/nologin: backup is an administrator (group sudo) and would lose every way in (SSH password login: shell /usr/sbin/nologin does not allow logins; console password login: shell /usr/sbin/nologin does not allow logins); root has no way in either; exempt it"},
		{"lock an administrator without a key", `{property: system_accounts_locked}`, withBackup,
			"etc/shadow", "backup:$y$", "lock the password of backup: backup is an administrator (group sudo) and would lose every way in (SSH password login: password locked; console password login: password locked; sudo ALL (as ALL:ALL): needs backup's password, which is not usable); root has no way in either; give it an SSH key first"},
		{"lock an administrator with a key", `{property: system_accounts_locked}`, merge(withBackup, backupKey),
			"etc/shadow", "backup:!$y$", ""},
		{"empty password, key kept", `{property: no_empty_passwords}`, emptyAlice,
			"etc/shadow", "alice:!:18000:", ""},
		// An empty password lets alice in only where sshd permits it.
		{"empty password, no key", `{property: no_empty_passwords}`, merge(emptyAlice, map[string]string{"home/alice/.ssh/authorized_keys": "# no keys yet\n"}),
			"etc/shadow", "alice:!:18000:", ""},
		{"empty password sshd accepts, no key", `{property: no_empty_passwords}`, merge(emptyAlice, map[string]string{"home/alice/.ssh/authorized_keys": "# no keys yet\n",
			"etc/ssh/sshd_config": "PermitEmptyPasswords yes\n" + base["etc/ssh/sshd_config"]}),
			"etc/shadow", "alice::18000:", "lock the password of alice: alice is an administrator (group sudo) and would lose every way in (SSH password login: password locked)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := lockoutTree(t, tt.extra)
			ch := remedy.New(tg)
			ch.SetNow(lockoutNow)
			ch.Begin("r", remedy.Meta{})
			remediate(t, newCheck(t, accountPropertyTemplate{}, tt.args), ch)
			if got := planned(t, ch, tt.file); !strings.Contains(got, tt.want) {
				t.Errorf("planned %s lacks %q:\n%s", tt.file, tt.want, got)
			}
			def := strings.Join(deferredOps(ch), "\n")
			if tt.deferred == "" && def != "" || !strings.Contains(def, tt.deferred) {
				t.Errorf("deferred %q, want %q", def, tt.deferred)
			}
		})
	}
}
