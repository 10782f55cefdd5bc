package fix

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/impact"
	"github.com/cradle-cra/cradle/internal/journal"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/result"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sampleDocument() *Document {
	im := &remedy.Impact{Level: remedy.ImpactObserved, Evidence: []string{"root logged in over SSH with a password 3 time(s), last 2026-11-20T10:00:00Z from 192.0.2.7"}}
	write := remedy.Op{Rule: "ssh.x11_forwarding", Kind: remedy.KindWrite, Path: "/etc/ssh/sshd_config", Summary: "set X11Forwarding no",
		Diff: "--- a/etc/ssh/sshd_config\n+++ b/etc/ssh/sshd_config\n@@ -1,2 +1,5 @@\n+# BEGIN cradle managed settings\n+X11Forwarding no\n+# END cradle managed settings\n Include /etc/ssh/sshd_config.d/*.conf\n-X11Forwarding yes\n+#cradle: X11Forwarding yes\n",
		Meta: remedy.Meta{Disruption: "low", Strategy: "configure"}, Effects: []remedy.Effect{{Kind: remedy.EffectSSHRestrict, Subject: "X11Forwarding", Value: "no"}},
		Impact: &remedy.Impact{Level: remedy.ImpactNone}}
	chmod := remedy.Op{Rule: "perms.shadow", Kind: remedy.KindChmod, Path: "/etc/shadow", Summary: "chmod 0640 /etc/shadow", From: "0644", To: "0640", Meta: remedy.Meta{Disruption: "low", Strategy: "restrict"}}
	deferred := remedy.Op{Rule: "packages.audit.installed", Kind: remedy.KindDeferred, Summary: "install auditd", Reason: "installing into an offline root needs the package manager"}
	refused := remedy.Op{Rule: "ssh.permit_root_login", Kind: remedy.KindWrite, Path: "/etc/ssh/sshd_config", Summary: "set PermitRootLogin prohibit-password", Impact: im}
	unknown := &remedy.Impact{Level: remedy.ImpactUnknown, Evidence: []string{"no authentication log or journal was read (auth-log: no auth.log or secure file under /var/log written in the last 30 days; journal: no persistent journal under /var/log/journal): SSH login by admin not ruled out"}}
	ageing := remedy.Op{Rule: "accounts.password_max_days", Kind: remedy.KindWrite, Path: "/etc/shadow", Summary: "set the maximum password age of admin to 365 days",
		Meta: remedy.Meta{Disruption: "medium", Strategy: "configure"}, Effects: []remedy.Effect{{Kind: remedy.EffectAccountChange, Subject: "admin"}}, Impact: unknown}
	return &Document{
		SchemaVersion: SchemaVersion, Tool: result.Tool{Name: "cradle", Version: "test"},
		Target: result.Target{Kind: "rootfs", Name: "/srv/rootfs", OS: "Debian GNU/Linux 12 (bookworm)"}, Profile: "default", Mode: "plan",
		Plan: []remedy.Op{write, chmod}, Deferred: []remedy.Op{deferred}, Refused: []remedy.Op{refused, ageing},
		Rules: []RuleFix{
			{Rule: "ssh.x11_forwarding", Title: "SSH X11 forwarding is off", Severity: result.SeverityMedium, Status: StatusPlanned, Meta: write.Meta, Impact: &remedy.Impact{Level: remedy.ImpactNone}},
			{Rule: "perms.shadow", Title: "/etc/shadow is not world-readable", Severity: result.SeverityHigh, Status: StatusPlanned, Meta: chmod.Meta},
			{Rule: "packages.audit.installed", Title: "auditd is installed", Severity: result.SeverityMedium, Status: StatusDeferred, Reason: deferred.Reason},
			{Rule: "ssh.permit_root_login", Title: "SSH does not accept root logins with a password", Severity: result.SeverityHigh, Status: StatusRefused, Reason: "observed impact; review the evidence and re-run with --force ssh.permit_root_login to apply anyway", Impact: im},
			{Rule: "accounts.password_max_days", Title: "Passwords expire", Severity: result.SeverityMedium, Status: StatusRefused, Meta: ageing.Meta, Impact: unknown,
				Reason: "impact unknown at disruption medium: " + unknown.Evidence[0] + "; review it and pass --accept-unknown accounts.password_max_days (or accept_unknown in a tailoring file) to apply"},
			{Rule: "accounts.uid0_only_root", Title: "Only root has UID 0", Severity: result.SeverityCritical, Status: StatusManual, Reason: "no native fix; see the rule's remediation notes"},
		},
		Preflight: &Preflight{Sources: []impact.Source{
			{Name: impact.SourceAccounts, Status: impact.SourceRead},
			{Name: impact.SourceAuthLog, Status: impact.SourceMissing, Detail: "no auth.log or secure file under /var/log written in the last 30 days"},
			{Name: impact.SourceJournal, Status: impact.SourceMissing, Detail: "no persistent journal under /var/log/journal"},
			{Name: impact.SourceProcesses, Status: impact.SourceMissing, Detail: "offline target: nothing is running"},
			{Name: impact.SourceUnits, Status: impact.SourceRead, Paths: []string{"/etc/systemd/system", "/usr/lib/systemd/system"}},
		}},
		Summary: map[string]int{StatusPlanned: 2, StatusDeferred: 1, StatusRefused: 2, StatusManual: 1, "operations": 2},
	}
}

func TestRenderGolden(t *testing.T) {
	d := sampleDocument()
	for name, render := range map[string]func(*bytes.Buffer) error{
		"plan.table":  func(b *bytes.Buffer) error { return d.Table(b, true) },
		"plan.json":   func(b *bytes.Buffer) error { return d.JSON(b) },
		"apply.table": func(b *bytes.Buffer) error { return appliedDocument().Table(b, false) },
		"apply.json":  func(b *bytes.Buffer) error { return appliedDocument().JSON(b) },
	} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := render(&b); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/fix -update)", err)
			}
			if b.String() != string(want) {
				t.Errorf("%s differs from %s (go test ./internal/fix -update):\n%s", name, p, b.String())
			}
		})
	}
}

// appliedDocument is sampleDocument after an apply that had to leave a
// path alone: an administrator edited it after the plan was made.
func appliedDocument() *Document {
	d := sampleDocument()
	d.Mode = "apply"
	d.Run = &RunRef{ID: "20261127T153000Z-1a2b", State: "applied", Paths: 1, Rollback: "cradle rollback --root /srv/rootfs 20261127T153000Z-1a2b"}
	d.MarkSkipped([]journal.Skip{{Path: "/etc/ssh/sshd_config", Rules: []string{"ssh.x11_forwarding"},
		Reason: "content changed since the plan was made (sha256 0a1b2c3d4e5f, planned against 9f8e7d6c5b4a); the edit is kept"}})
	return d
}

func TestMarkSkipped(t *testing.T) {
	d := appliedDocument()
	if d.Rules[0].Status != StatusSkipped || !strings.HasPrefix(d.Rules[0].Reason, "/etc/ssh/sshd_config: content changed") {
		t.Errorf("rule = %+v", d.Rules[0])
	}
	if d.Rules[1].Status != StatusPlanned || d.Summary[StatusPlanned] != 1 || d.Summary[StatusSkipped] != 1 {
		t.Errorf("rules %+v, summary %v", d.Rules, d.Summary)
	}
}
