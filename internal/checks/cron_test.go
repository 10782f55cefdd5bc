package checks

import (
	"testing"

	"github.com/cradle-cra/cradle/internal/result"
)

func TestSchedulerAccess(t *testing.T) {
	cron := func(extra map[string]any) map[string]any {
		m := map[string]any{"usr/bin/crontab": authFile{"", 0o755}}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	runAuthCases(t, schedulerAccessTemplate{}, []authCase{
		{"allow present", `{binaries: [/usr/bin/crontab], allow: /etc/cron.allow, require: allow_list}`, cron(map[string]any{"etc/cron.allow": "root\n"}), result.Pass, "present"},
		{"allow absent", `{binaries: [/usr/bin/crontab], allow: /etc/cron.allow, require: allow_list}`, cron(nil), result.Fail, "absent"},
		{"deny present", `{binaries: [/usr/bin/crontab], deny: /etc/cron.deny, require: no_deny_list}`, cron(map[string]any{"etc/cron.deny": ""}), result.Fail, "/etc/cron.deny"},
		{"not installed", `{binaries: [/usr/bin/at], allow: /etc/at.allow, require: allow_list}`, map[string]any{}, result.NotApplicable, "not installed"},
	})
	runArgErrors(t, schedulerAccessTemplate{}, []string{
		`{allow: /etc/cron.allow, require: allow_list}`,
		`{binaries: [/x], deny: /etc/cron.deny, require: allow_list}`,
		`{binaries: [/x], allow: /a, deny: /b, require: allow_list}`,
	})
}
