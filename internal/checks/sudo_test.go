package checks

import (
	"testing"

	"github.com/cradle-cra/cradle/internal/result"
)

// Debian 12 /etc/sudoers as shipped.
const debianSudoers = `#
# This file MUST be edited with the 'visudo' command as root.
#
Defaults	env_reset
Defaults	mail_badpass
Defaults	secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
Defaults	use_pty

# User privilege specification
root	ALL=(ALL:ALL) ALL

# Allow members of group sudo to execute any command
%sudo	ALL=(ALL:ALL) ALL

@includedir /etc/sudoers.d
`

func sudoTree(dropin string) map[string]any {
	m := map[string]any{"etc/sudoers": authFile{debianSudoers, 0o440}, "etc/sudoers.d/README": authFile{"# comments only\n", 0o440}}
	if dropin != "" {
		m["etc/sudoers.d/90-site"] = authFile{dropin, 0o440}
	}
	return m
}

func TestSudoOption(t *testing.T) {
	runAuthCases(t, sudoOptionTemplate{}, []authCase{
		{"use_pty pass", `{option: use_pty, enabled: true, default: "false"}`, sudoTree(""), result.Pass, "Line:7"},
		{"use_pty negated in drop-in", `{option: use_pty, enabled: true}`, sudoTree("Defaults !use_pty\n"), result.Fail, "/etc/sudoers.d/90-site"},
		{"visiblepw default", `{option: visiblepw, enabled: false, default: "false"}`, sudoTree(""), result.Pass, "default false"},
		{"visiblepw set", `{option: visiblepw, enabled: false, default: "false"}`, sudoTree("Defaults visiblepw\n"), result.Fail, "Defaults visiblepw"},
		{"logfile missing", `{option: logfile, present: true}`, sudoTree(""), result.Fail, "logfile not set"},
		{"logfile set", `{option: logfile, present: true}`, sudoTree("Defaults logfile=\"/var/log/sudo.log\"\n"), result.Pass, "logfile=/var/log/sudo.log"},
		{"logfile negated", `{option: logfile, present: true}`, sudoTree("Defaults logfile=/x\nDefaults !logfile\n"), result.Fail, "!logfile"},
		{"timeout negative", `{option: timestamp_timeout, min: 0, max: 15, default: "15"}`, sudoTree("Defaults timestamp_timeout=-1\n"), result.Fail, "timestamp_timeout=-1"},
		{"timeout default", `{option: timestamp_timeout, min: 0, max: 15, default: "15"}`, sudoTree(""), result.Pass, "default 15"},
		{"per-user binding counts", `{option: use_pty, enabled: true}`, sudoTree("Defaults:bob !use_pty\n"), result.Fail, "Defaults:bob !use_pty (in effect for bob)"},
		{"later global setting undoes it", `{option: use_pty, enabled: true}`, sudoTree("Defaults:bob !use_pty\nDefaults use_pty\n"), result.Pass, "Line:2"},
		{"command binding applies last", `{option: use_pty, enabled: true}`, sudoTree("Defaults!/usr/bin/vi !use_pty\nDefaults use_pty\n"), result.Fail, "in effect for any user running /usr/bin/vi"},
		{"group binding", `{option: timestamp_timeout, max: 15}`, sudoTree("User_Alias OPS = %ops\nDefaults:OPS timestamp_timeout=60\n"), result.Fail, "members of %ops"},
		{"not installed", `{option: use_pty, enabled: true}`, map[string]any{}, result.NotApplicable, "not installed"},
	})
	runArgErrors(t, sudoOptionTemplate{}, []string{`{enabled: true}`, `{option: x}`, `{option: x, enabled: true, max: 3}`})
}

func TestSudoRule(t *testing.T) {
	runAuthCases(t, sudoRuleTemplate{}, []authCase{
		{"nopasswd pass", `{forbid: nopasswd}`, sudoTree(""), result.Pass, "none matching"},
		{"nopasswd fail", `{forbid: nopasswd}`, sudoTree("deploy ALL=(ALL) NOPASSWD: /usr/bin/systemctl\n"), result.Fail, "deploy ALL=(ALL) NOPASSWD: /usr/bin/systemctl"},
		{"nopasswd allowed", `{forbid: nopasswd, allow: [deploy]}`, sudoTree("deploy ALL=(ALL) NOPASSWD: ALL\n"), result.Pass, ""},
		{"passwd tag resets", `{forbid: nopasswd}`, sudoTree("deploy ALL=(ALL) NOPASSWD: /a, PASSWD: /b\n"), result.Fail, "/a"},
		{"no authenticate", `{forbid: no_authenticate}`, sudoTree("Defaults:deploy !authenticate\n"), result.Fail, "Defaults:deploy !authenticate"},
		{"authenticate restored", `{forbid: no_authenticate}`, sudoTree("Defaults !authenticate\nDefaults authenticate\n"), result.Pass, ""},
		{"authenticate restored for some", `{forbid: no_authenticate}`, sudoTree("Defaults !authenticate\nDefaults:alice authenticate\n"), result.Fail, "in effect for any user"},
		{"runas binding", `{forbid: no_authenticate}`, sudoTree("Defaults>backup !authenticate\n"), result.Fail, "as backup"},
		{"nopasswd carried over runas", `{forbid: nopasswd}`, sudoTree("deploy ALL=(root) NOPASSWD: /a, (www-data) /b\n"), result.Fail, "(www-data) NOPASSWD: /b"},
		{"nopasswd on a negation only", `{forbid: nopasswd}`, sudoTree("deploy ALL=(root) /a, NOPASSWD: !/b\n"), result.Pass, ""},
		{"nopasswd via alias allowed", `{forbid: nopasswd, allow: ["%ci"]}`, sudoTree("User_Alias CI = %ci\nCI ALL=(root) NOPASSWD: /a\n"), result.Pass, ""},
		{"all commands through an alias", `{forbid: all_commands, allow: [root, "%sudo"]}`, sudoTree("Cmnd_Alias EVERYTHING = ALL\nalice ALL=(ALL) EVERYTHING\n"), result.Fail, "EVERYTHING expands to ALL"},
		{"all commands nested alias", `{forbid: all_commands, allow: [root, "%sudo"]}`, sudoTree("Cmnd_Alias A = ALL\nCmnd_Alias B = A\nalice ALL=(ALL) B\n"), result.Fail, "B expands to ALL"},
		{"all commands negated alias", `{forbid: all_commands, allow: [root, "%sudo"]}`, sudoTree("Cmnd_Alias A = ALL\nalice ALL=(ALL) /usr/bin/id, !A\n"), result.Pass, ""},
		{"command negation", `{forbid: command_negation}`, sudoTree("alice ALL=(ALL) ALL, !/usr/bin/su\n"), result.Fail, "!/usr/bin/su"},
		{"command negation via alias", `{forbid: command_negation}`, sudoTree("Cmnd_Alias SU = /usr/bin/su\nalice ALL=(ALL) /usr/bin/id, !SU\n"), result.Fail, "!SU expands to !/usr/bin/su"},
		{"command negation none", `{forbid: command_negation}`, sudoTree(""), result.Pass, ""},
		{"all users", `{forbid: all_users}`, sudoTree("ALL ALL=(ALL:ALL) ALL\n"), result.Fail, "ALL ALL=(ALL:ALL) ALL"},
		{"all users via aliases", `{forbid: all_users}`, sudoTree("User_Alias EVERYONE = ALL\nCmnd_Alias ANY = ALL\nEVERYONE ALL = ANY\n"), result.Fail, "ANY expands to ALL"},
		{"all users one command", `{forbid: all_users}`, sudoTree("ALL ALL=(root) /usr/bin/lpq\n"), result.Pass, ""},
		{"all users as another user", `{forbid: all_users}`, sudoTree("ALL ALL=(nobody) ALL\n"), result.Pass, ""},
		{"all commands admins", `{forbid: all_commands, allow: [root, "%sudo"]}`, sudoTree(""), result.Pass, ""},
		{"all commands user", `{forbid: all_commands, allow: [root, "%sudo"]}`, sudoTree("alice ALL=(ALL:ALL) ALL\n"), result.Fail, "alice ALL=(ALL:ALL) ALL"},
	})
	runArgErrors(t, sudoRuleTemplate{}, []string{`{forbid: everything}`})
}
