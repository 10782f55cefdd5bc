package checks

import (
	"testing"

	"github.com/cradle-cra/cradle/internal/result"
)

func auditTree(rules string) map[string]any {
	return map[string]any{
		"etc/audit/auditd.conf":           authFile{"log_file = /var/log/audit/audit.log\n", 0o640},
		"etc/audit/rules.d/audit.rules":   authFile{"-D\n-b 8192\n--backlog_wait_time 60000\n-f 1\n", 0o640},
		"etc/audit/rules.d/50-site.rules": authFile{rules, 0o640},
		"etc/audit/audit.rules":           authFile{"-e 2\n", 0o640},
	}
}

func TestAuditRule(t *testing.T) {
	runAuthCases(t, auditRuleTemplate{}, []authCase{
		{"watch pass", `{watches: [/etc/passwd, /etc/sudoers.d], perms: wa}`,
			auditTree("-w /etc/passwd -p wa -k identity\n-w /etc/sudoers.d/ -p rwa -k scope\n"), result.Pass, "50-site.rules Line:2"},
		{"watch perms too narrow", `{watches: [/etc/passwd], perms: wa}`,
			auditTree("-w /etc/passwd -p w -k identity\n"), result.Fail, "no watch on /etc/passwd"},
		{"watch default perms", `{watches: [/etc/passwd]}`, auditTree("-w /etc/passwd\n"), result.Pass, ""},
		{"watch as path rule", `{watches: [/usr/share/selinux], perms: wa}`,
			auditTree("-a always,exit -F dir=/usr/share/selinux/ -F perm=wa -k MAC-policy\n"), result.Pass, "dir=/usr/share/selinux/"},
		{"syscalls split across rules", `{syscalls: [chmod, fchmod, chown], arch: [b64, b32], fields: ["auid>=1000", "auid!=unset"]}`,
			auditTree("-a always,exit -F arch=b64 -S chmod,fchmod -F auid>=1000 -F auid!=-1\n-a exit,always -F arch=b64 -S chown -F auid!=4294967295 -F auid>=500\n-a always,exit -F arch=b32 -S chmod -S fchmod -S chown -F auid>=1000 -F auid!=unset\n"),
			result.Pass, "auid>=500"},
		{"syscall missing arch", `{syscalls: [mount], arch: [b64, b32], fields: ["auid>=1000"]}`,
			auditTree("-a always,exit -F arch=b64 -S mount -F auid>=1000\n"), result.Fail, "arch=b32: no rule for mount"},
		{"syscall missing field", `{syscalls: [mount], arch: [b64], fields: ["auid>=1000", "auid!=unset"]}`,
			auditTree("-a always,exit -F arch=b64 -S mount -F auid>=1000\n"), result.Fail, "no rule for mount"},
		{"never rule ignored", `{syscalls: [mount], arch: [b64]}`,
			auditTree("-a never,exit -F arch=b64 -S mount\n"), result.Fail, "no rule for mount"},
		{"immutable from rules.d", `{control: "-e", value: "2"}`,
			auditTree("-w /etc/passwd -p wa\n"), result.Fail, "-e not set"},
		{"immutable last", `{control: "-e", value: "2"}`,
			func() map[string]any {
				m := auditTree("-e 1\n")
				m["etc/audit/rules.d/99-finalize.rules"] = authFile{"-e 2\n", 0o640}
				return m
			}(), result.Pass, "99-finalize.rules Line:1"},
		{"backlog", `{control: "-b", min: 8192}`, auditTree(""), result.Pass, "-b 8192"},
		{"not installed", `{control: "-e", value: "2"}`, map[string]any{}, result.NotApplicable, "not installed"},
	})
	runArgErrors(t, auditRuleTemplate{}, []string{
		`{}`,
		`{watches: [/a], perms: q}`,
		`{syscalls: [mount]}`,
		`{control: "-e"}`,
		`{control: "-e", value: "2", watches: [/a]}`,
		`{syscalls: [mount], arch: [b64], fields: ["nonsense"]}`,
		`{syscalls: [mount], arch: [b64], perms: wa}`,
	})
}
