package checks

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/collect/sudoers"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
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
		{Kind: remedy.EffectSudoPassword, Subject: "alice", Value: "PATCH, /usr/bin/make install"},
		{Kind: remedy.EffectSudoPassword, Subject: "bob", Value: "PATCH, /usr/bin/make install"},
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
		{"cyclic aliases", map[string]string{"etc/sudoers.d/x": "User_Alias A = B\nUser_Alias B = A\nA ALL=(ALL) NOPASSWD: ALL\n"}, "etc/sudoers.d/x", "", "nests too deep"},
		{"empty password", map[string]string{"etc/sudoers.d/x": "bob ALL=(ALL) NOPASSWD: ALL\n", "etc/shadow": strings.Replace(lockoutFiles(t, nil)["etc/shadow"], "bob:$6$", "bob::x$6$", 1)}, "etc/sudoers.d/x", "", "bob has no usable password"},
		{"several host groups", map[string]string{"etc/sudoers.d/x": "bob web1 = NOPASSWD: /bin/a : db1 = (postgres) NOPASSWD: /bin/b\n"}, "etc/sudoers.d/x", "bob web1 = /bin/a : db1 = (postgres) /bin/b\n", ""},
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
			ch := planFix(t, newCheck(t, sudoRuleTemplate{}, `{forbid: nopasswd}`), lockoutTree(t, extra))
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
	return targettest.Tree(t, lockoutFiles(t, extra))
}
