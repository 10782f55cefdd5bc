package checks

import (
	"testing"

	"github.com/cradle-cra/cradle/internal/result"
)

func TestDirFilesMode(t *testing.T) {
	logs := map[string]any{
		"var/log/syslog":          authFile{"x", 0o640},
		"var/log/wtmp":            authFile{"", 0o664},
		"var/log/apt/history.log": authFile{"x", 0o644},
		"var/log/private/":        nil,
	}
	runAuthCases(t, dirFilesModeTemplate{}, []authCase{
		{"recursive fail", `{dir: /var/log, recursive: true, max_mode: "0640", exclude: [wtmp]}`, logs, result.Fail, "/var/log/apt/history.log"},
		{"flat pass", `{dir: /var/log, max_mode: "0640", exclude: [wtmp]}`, logs, result.Pass, "1 files"},
		{"exclude dir", `{dir: /var/log, recursive: true, max_mode: "0640", exclude: [wtmp, apt]}`, logs, result.Pass, ""},
		{"missing pass", `{dir: /etc/sudoers.d, max_mode: "0440"}`, map[string]any{}, result.Pass, "absent"},
		{"missing fail", `{dir: /etc/sudoers.d, max_mode: "0440", missing: fail}`, map[string]any{}, result.Fail, "absent"},
	})
	runArgErrors(t, dirFilesModeTemplate{}, []string{`{max_mode: "0640"}`, `{dir: /a, max_mode: "9"}`, `{dir: /a, max_mode: "0640", exclude: ["["]}`})
}

const debianRsyslog = `module(load="imuxsock") # provides support for local system logging
module(load="imklog")   # provides kernel logging support
$FileOwner root
$FileGroup adm
$FileCreateMode 0640
$DirCreateMode 0755
$Umask 0022
$IncludeConfig /etc/rsyslog.d/*.conf
*.*;auth,authpriv.none		-/var/log/syslog
`

func TestRsyslogFileMode(t *testing.T) {
	runAuthCases(t, rsyslogFileModeTemplate{}, []authCase{
		{"debian pass", `{max_mode: "0640"}`, map[string]any{"etc/rsyslog.conf": debianRsyslog}, result.Pass, "$FileCreateMode 0640"},
		{"unset default", `{max_mode: "0640"}`, map[string]any{"etc/rsyslog.conf": "*.* /var/log/all\n"}, result.Fail, "rsyslog default 0644"},
		{"module param", `{max_mode: "0640"}`, map[string]any{"etc/rsyslog.conf": "module(load=\"builtin:omfile\" fileCreateMode=\"0600\")\n"}, result.Pass, "fileCreateMode 0600"},
		{"drop-in action", `{max_mode: "0640"}`, map[string]any{"etc/rsyslog.conf": debianRsyslog,
			"etc/rsyslog.d/50-x.conf": "action(type=\"omfile\"\n  file=\"/var/log/x\" fileCreateMode=\"0644\")\n"}, result.Fail, "50-x.conf Line:1"},
		{"not installed", `{max_mode: "0640"}`, map[string]any{}, result.NotApplicable, "not installed"},
	})
}

func TestFileContent(t *testing.T) {
	runAuthCases(t, fileContentTemplate{}, []authCase{
		{"escape", `{paths: [/etc/issue], must_not_match: ['\\[mrsv]']}`, map[string]any{"etc/issue": "Welcome\n\\S \\r on \\m\n"}, result.Fail, "Line:2"},
		{"name", `{paths: [/etc/issue.net], must_not_match: ['(?i)\bdebian\b']}`, map[string]any{"etc/issue.net": "Debian GNU/Linux 12\n"}, result.Fail, "Debian"},
		{"clean", `{paths: [/etc/issue], must_not_match: ['\\[mrsv]']}`, map[string]any{"etc/issue": "Authorized use only.\n"}, result.Pass, "no match"},
		{"must match", `{paths: [/etc/issue], must_match: ['(?i)authori[sz]ed']}`, map[string]any{"etc/issue": "x\nAuthorised use only.\n"}, result.Pass, "Line:2"},
		{"must match missing", `{paths: [/etc/issue], must_match: ['(?i)authori[sz]ed']}`, map[string]any{"etc/issue": "hello\n"}, result.Fail, "no match"},
		{"absent na", `{paths: [/etc/issue], must_not_match: [x], missing: not_applicable}`, map[string]any{}, result.NotApplicable, ""},
	})
	runArgErrors(t, fileContentTemplate{}, []string{`{paths: [/a]}`, `{must_match: [a]}`, `{paths: [/a], must_match: ["("]}`})
}

func TestLimits(t *testing.T) {
	runAuthCases(t, limitsTemplate{}, []authCase{
		{"unset", `{item: core, type: hard, max: 0}`, map[string]any{"etc/security/limits.conf": "#*  soft  core  0\n"}, result.Fail, "no * hard core entry"},
		{"set in limits.d", `{item: core, type: hard, max: 0}`, map[string]any{"etc/security/limits.conf": "", "etc/security/limits.d/50-core.conf": "* hard core 0\n"}, result.Pass, "50-core.conf Line:1"},
		{"dash sets both", `{item: core, type: hard, max: 0}`, map[string]any{"etc/security/limits.conf": "* - core 0\n"}, result.Pass, ""},
		{"later wildcard wins", `{item: core, type: hard, max: 0}`, map[string]any{"etc/security/limits.conf": "* hard core 0\n", "etc/security/limits.d/9.conf": "* hard core unlimited\n"}, result.Fail, "unlimited"},
		{"group raises", `{item: core, type: hard, max: 0}`, map[string]any{"etc/security/limits.conf": "* hard core 0\n@dev hard core 100\n"}, result.Fail, "@dev hard core 100"},
		{"no config", `{item: core, type: hard, max: 0}`, map[string]any{}, result.NotApplicable, ""},
	})
	runArgErrors(t, limitsTemplate{}, []string{`{item: core, type: both, max: 0}`, `{type: hard, max: 0}`})
}

func TestRsyslogInput(t *testing.T) {
	runAuthCases(t, rsyslogInputTemplate{}, []authCase{
		{"debian pass", `{forbid: [imtcp, imudp]}`, map[string]any{"etc/rsyslog.conf": debianRsyslog}, result.Pass, "none in /etc/rsyslog.conf"},
		{"module", `{forbid: [imtcp, imudp]}`, map[string]any{"etc/rsyslog.conf": debianRsyslog, "etc/rsyslog.d/r.conf": "module(load=\"imudp\")\ninput(type=\"imudp\" port=\"514\")\n"}, result.Fail, `input(type="imudp")`},
		{"legacy", `{forbid: [imtcp]}`, map[string]any{"etc/rsyslog.conf": "$ModLoad imtcp\n$InputTCPServerRun 514\n"}, result.Fail, "$InputTCPServerRun 514"},
	})
	runArgErrors(t, rsyslogInputTemplate{}, []string{`{forbid: []}`})
}
