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
		{"per-user binding ignored", `{option: use_pty, enabled: true}`, sudoTree("Defaults:bob !use_pty\n"), result.Pass, "Line:7"},
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
		{"all commands admins", `{forbid: all_commands, allow: [root, "%sudo"]}`, sudoTree(""), result.Pass, ""},
		{"all commands user", `{forbid: all_commands, allow: [root, "%sudo"]}`, sudoTree("alice ALL=(ALL:ALL) ALL\n"), result.Fail, "alice ALL=(ALL:ALL) ALL"},
	})
	runArgErrors(t, sudoRuleTemplate{}, []string{`{forbid: everything}`})
}
