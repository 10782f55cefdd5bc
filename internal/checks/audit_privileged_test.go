package checks

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
)

func privTree(rules string) map[string]any {
	return map[string]any{
		"etc/audit/rules.d/50-site.rules": authFile{rules, 0o640},
		"usr/bin/su":                      authFile{"x", os.ModeSetuid | 0o755},
		"usr/bin/wall":                    authFile{"x", os.ModeSetgid | 0o755},
		"usr/bin/ls":                      authFile{"x", 0o755},
	}
}

func TestAuditPrivileged(t *testing.T) {
	both := "-a always,exit -F path=/usr/bin/su -F perm=x -F auid>=1000 -F auid!=unset -k privileged\n" +
		"-a exit,always -F auid!=-1 -F path=/usr/bin/wall -F auid>=500 -F perm=rx\n"
	runAuthCases(t, auditPrivilegedTemplate{}, []authCase{
		{"all covered", `{uid_min: 1000}`, privTree(both), result.Pass, "path=/usr/bin/wall"},
		{"one missing", `{uid_min: 1000}`, privTree("-a always,exit -F path=/usr/bin/su -F perm=x -F auid>=1000 -F auid!=unset\n"),
			result.Fail, "no execution audit rule for setuid/setgid /usr/bin/wall"},
		{"watch covers", `{uid_min: 1000}`, privTree("-w /usr/bin/su -p x\n-w /usr/bin/wall -p rx\n"), result.Pass, "-w /usr/bin/su"},
		{"perm without x", `{uid_min: 1000}`, privTree("-w /usr/bin/su -p wa\n-w /usr/bin/wall -p x\n"), result.Fail, "/usr/bin/su"},
		{"higher auid threshold misses", `{uid_min: 1000}`, privTree(strings.ReplaceAll(both, "auid>=500", "auid>=2000")), result.Fail, "/usr/bin/wall"},
		{"b32 only misses", `{uid_min: 1000}`, privTree(strings.ReplaceAll(both, "-F path=/usr/bin/su", "-F arch=b32 -F path=/usr/bin/su")), result.Fail, "/usr/bin/su"},
		{"no setuid programs", `{uid_min: 1000}`, map[string]any{"etc/audit/auditd.conf": "", "usr/bin/ls": authFile{"x", 0o755}}, result.Pass, "no setuid"},
		{"not installed", `{uid_min: 1000}`, map[string]any{"usr/bin/su": authFile{"x", os.ModeSetuid | 0o755}}, result.NotApplicable, "not installed"},
	})
	runArgErrors(t, auditPrivilegedTemplate{}, []string{`{}`, `{uid_min: -1}`, `{uid_min: 1000, x: 1}`})
}

// The fix writes one rule per uncovered program, skips names that would
// change the rule file, and the rule passes on the planned state.
func TestAuditPrivilegedFix(t *testing.T) {
	files := privTree("-w /usr/bin/su -p x\n")
	files["tmp/evil\n-e 0"] = authFile{"x", os.ModeSetuid | 0o755}
	st := authStore(t, files)
	c := newCheck(t, auditPrivilegedTemplate{}, `{uid_min: 1000}`)
	ctx := context.Background()
	if o := c.Evaluate(ctx, st); o.Status != result.Fail {
		t.Fatalf("before: %s", o.Status)
	}
	ch := remedy.New(st.Target())
	ch.Begin("audit.privileged_commands", remedy.Meta{})
	if err := c.(*auditPrivilegedCheck).Remediate(ctx, st, ch); err != nil {
		t.Fatal(err)
	}
	b, err := ch.ReadFile(auditPrivilegedRules)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if !strings.Contains(got, "-a always,exit -F path=/usr/bin/wall -F perm=x -F auid>=1000 -F auid!=unset -k privileged\n") ||
		strings.Contains(got, "/usr/bin/su") || strings.Contains(got, "evil") {
		t.Errorf("planned rules:\n%s", got)
	}
	deferred := false
	for _, op := range ch.RuleOps("audit.privileged_commands") {
		deferred = deferred || op.Deferred()
	}
	if !deferred {
		t.Error("the unsafe name was not deferred")
	}
	o := c.Evaluate(ctx, facts.NewStore(ctx, ch.Overlay()))
	if o.Status != result.Fail || len(o.Evidence) != 1 || !strings.Contains(o.Evidence[0].Observed, "evil") {
		t.Errorf("after: %s %+v", o.Status, o.Evidence)
	}
}
