package checks

import (
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/collect/sudoers"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

const (
	debSudoers  = "Defaults\tenv_reset\nDefaults\tmail_badpass\nDefaults\tsecure_path=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n\nroot\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\n\n@includedir /etc/sudoers.d\n"
	rhelSudoers = "Defaults   !visiblepw\nDefaults    always_set_home\nDefaults    env_reset\nroot\tALL=(ALL) \tALL\n%wheel\tALL=(ALL)\tALL\n#includedir /etc/sudoers.d\n"
	// deploy, the account breakDropIn exempts, with a usable password.
	deployPasswd = "root:x:0:0:root:/root:/bin/bash\ndeploy:x:1000:1000::/home/deploy:/bin/bash\n"
	deployShadow = "root:*:19639:0:99999:7:::\ndeploy:$y$j9T$salt$hash:19639:0:99999:7:::\n"
	breakDropIn  = "Defaults\t!use_pty, !env_reset, visiblepw\nDefaults\t!logfile\nDefaults\ttimestamp_timeout=-1\nDefaults:deploy\t!authenticate\ndeploy\tALL=(ALL:ALL) NOPASSWD: ALL\n"
)

func sudoFixTree(main string, extra map[string]string) map[string]string {
	m := map[string]string{"etc/sudoers": main, "etc/sudoers.d/README": "# files in this directory are read\n"}
	maps.Copy(m, extra)
	return m
}

func TestSudoFix(t *testing.T) {
	tests := []struct {
		name, tmpl, args string
		files            map[string]string
		want             map[string][]string
	}{
		{"use_pty via drop-in", "option", `{option: use_pty, enabled: true, default: "false"}`, sudoFixTree(debSudoers, nil),
			map[string][]string{"etc/sudoers.d/cradle": {"# Settings made by cradle fix", "\nDefaults\tuse_pty\n"}}},
		{"RHEL #includedir", "option", `{option: logfile, present: true}`, sudoFixTree(rhelSudoers, nil),
			map[string][]string{"etc/sudoers.d/cradle": {"Defaults\tlogfile=\"/var/log/sudo.log\"\n"}}},
		{"no includedir edits the main file", "option", `{option: timestamp_timeout, min: 0, max: 15, default: "15"}`,
			map[string]string{"etc/sudoers": "Defaults timestamp_timeout=-1\nroot ALL=(ALL) ALL\n"},
			map[string][]string{"etc/sudoers": {"Defaults timestamp_timeout=-1\nroot ALL=(ALL) ALL\nDefaults\ttimestamp_timeout=15\n"}}},
		{"later drop-in item dropped", "option", `{option: env_reset, enabled: true, default: "true"}`, sudoFixTree(debSudoers, map[string]string{"etc/sudoers.d/zz-local": breakDropIn}),
			map[string][]string{"etc/sudoers.d/zz-local": {"Defaults\t!use_pty, visiblepw\n", "Defaults\t!logfile\n"}}},
		{"visiblepw negated", "option", `{option: visiblepw, enabled: false, default: "false"}`, sudoFixTree(debSudoers, map[string]string{"etc/sudoers.d/90-break": breakDropIn, "etc/sudoers.d/zz-local": "Defaults visiblepw, use_pty # local\n"}),
			map[string][]string{"etc/sudoers.d/cradle": {"Defaults\t!visiblepw\n"}, "etc/sudoers.d/90-break": {"Defaults\t!use_pty, !env_reset, visiblepw\n"}, "etc/sudoers.d/zz-local": {"Defaults\tuse_pty # local\n"}}},
		{"scoped drop-in item dropped", "option", `{option: use_pty, enabled: true, default: "false"}`, sudoFixTree(debSudoers, map[string]string{"etc/sudoers.d/10-site": "Defaults!/usr/bin/vi !use_pty\n", "etc/sudoers.d/zz-site": "Defaults:bob !use_pty, mail_badpass\n"}),
			map[string][]string{"etc/sudoers.d/cradle": {"\nDefaults\tuse_pty\n"}, "etc/sudoers.d/10-site": {"#cradle: Defaults!/usr/bin/vi !use_pty\n"}, "etc/sudoers.d/zz-site": {"Defaults:bob\tmail_badpass\n"}}},
		{"no authenticate", "rule", `{forbid: no_authenticate}`, sudoFixTree(debSudoers, map[string]string{"etc/sudoers.d/90-break": breakDropIn, "etc/passwd": deployPasswd, "etc/shadow": deployShadow}),
			map[string][]string{"etc/sudoers.d/90-break": {"#cradle: Defaults:deploy\t!authenticate\n"}}},
		{"no authenticate for an account without a password", "rule", `{forbid: no_authenticate}`, sudoFixTree(debSudoers, map[string]string{"etc/sudoers.d/90-break": breakDropIn, "etc/passwd": deployPasswd, "etc/shadow": strings.Replace(deployShadow, "$y$j9T$salt$hash", "!", 1)}),
			map[string][]string{"etc/sudoers.d/90-break": {"\nDefaults:deploy\t!authenticate\n"}}},
		{"nopasswd", "rule", `{forbid: nopasswd, allow: ["%admins"]}`, sudoFixTree(rhelSudoers, map[string]string{"etc/sudoers.d/90-break": breakDropIn, "etc/sudoers.d/admins": "%admins ALL=(ALL) NOPASSWD: ALL\n",
			"etc/passwd": deployPasswd, "etc/shadow": deployShadow}),
			map[string][]string{"etc/sudoers.d/90-break": {"\ndeploy\tALL=(ALL:ALL) ALL\n"}, "etc/sudoers.d/admins": {"%admins ALL=(ALL) NOPASSWD: ALL\n"}}},
		{"nopasswd for an account without a password", "rule", `{forbid: nopasswd}`, sudoFixTree(rhelSudoers, map[string]string{"etc/sudoers.d/90-break": breakDropIn,
			"etc/passwd": deployPasswd, "etc/shadow": strings.Replace(deployShadow, "$y$j9T$salt$hash", "!", 1)}),
			map[string][]string{"etc/sudoers.d/90-break": {"\ndeploy\tALL=(ALL:ALL) NOPASSWD: ALL\n"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ch *remedy.Changes
			if tt.tmpl == "option" {
				ch = fixRoundTrip(t, sudoOptionTemplate{}, tt.args, targettest.Tree(t, tt.files))
			} else {
				ch = fixRoundTrip(t, sudoRuleTemplate{}, tt.args, targettest.Tree(t, tt.files))
			}
			for file, subs := range tt.want {
				got := planned(t, ch, file)
				for _, w := range subs {
					if !strings.Contains(got, w) {
						t.Errorf("planned %s lacks %q:\n%s", file, w, got)
					}
				}
				if err := sudoers.Validate([]byte(got)); err != nil {
					t.Errorf("%s: %v", file, err)
				}
			}
			for _, op := range ch.Ops() {
				if !op.Deferred() && !containsEffect(op.Effects, remedy.EffectAuthPolicy) {
					t.Errorf("op %s %s lacks the auth policy effect", op.Kind, op.Path)
				}
			}
		})
	}
}

func TestSudoFixDropInMode(t *testing.T) {
	tg := modeTree(t, sudoFixTree(debSudoers, map[string]string{"etc/sudoers.d/zz-break": breakDropIn}), map[string]os.FileMode{"etc/sudoers.d/zz-break": 0o440}, nil)
	ch := remedy.New(tg)
	for i, args := range []string{`{option: use_pty, enabled: true, default: "false"}`, `{option: timestamp_timeout, min: 0, max: 15, default: "15"}`} {
		ch.Begin([]string{"a", "b"}[i], remedy.Meta{})
		remediate(t, newCheck(t, sudoOptionTemplate{}, args), ch)
	}
	fi, err := ch.Overlay().Stat("etc/sudoers.d/cradle")
	if err != nil || fi.Mode.Perm() != 0o440 || fi.UID != 0 || fi.GID != 0 {
		t.Fatalf("drop-in %+v %v", fi, err)
	}
	if got := planned(t, ch, "etc/sudoers.d/cradle"); !strings.HasSuffix(got, "Defaults\tuse_pty\nDefaults\ttimestamp_timeout=15\n") {
		t.Fatalf("drop-in:\n%s", got)
	}
	for _, pc := range ch.Final() {
		if pc.Path == "etc/sudoers.d/zz-break" && (pc.ModeSet || pc.OwnerSet) {
			t.Fatalf("existing file mode changed: %+v", pc)
		}
	}
	if got := planned(t, ch, "etc/sudoers.d/zz-break"); !strings.Contains(got, "Defaults\t!env_reset, visiblepw\nDefaults\t!logfile\n#cradle: Defaults\ttimestamp_timeout=-1\n") {
		t.Fatalf("zz-break:\n%s", got)
	}
	// "all_commands" is reported, not changed.
	ch = fixRoundTrip(t, sudoRuleTemplate{}, `{forbid: all_commands, allow: [root]}`, targettest.Tree(t, sudoFixTree(debSudoers, nil)))
	if ops := ch.Ops(); len(ops) != 1 || !ops[0].Deferred() {
		t.Fatalf("ops %+v", ops)
	}
}
