package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/fix"
	"github.com/cradle-cra/cradle/internal/impact"
	"github.com/cradle-cra/cradle/internal/remedy"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// TestFixUnknownImpact: on a tree with no authentication log and no
// journal, disabling root's SSH login (disruption medium) has unknown
// impact; a dry run and --apply both refuse it and say why, the plan
// lists the missing sources, and --accept-unknown (or the tailoring)
// lets it through.
func TestFixUnknownImpact(t *testing.T) {
	root := targettest.Dir(t, map[string]string{
		"etc/os-release":      "ID=debian\nVERSION_ID=\"12\"\n",
		"etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\nUsePAM yes\n",
		"etc/passwd":          "root:x:0:0:root:/root:/bin/bash\n",
	})
	env := map[string]string{"CRADLE_HOME": t.TempDir()}
	run := func(want int, args ...string) (fix.Document, string) {
		t.Helper()
		out, errs, code := runIn(t, env, args...)
		if code != want {
			t.Fatalf("cradle %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errs)
		}
		var d fix.Document
		if strings.Contains(strings.Join(args, " "), "json") {
			if err := json.Unmarshal([]byte(out), &d); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
		}
		return d, out + errs
	}
	rule := []string{"--root", root, "--rule", "ssh.permit_root_login_none"}
	for _, mode := range [][]string{{"fix"}, {"fix", "--apply"}} {
		d, _ := run(3, append(append(mode, "--format", "json"), rule...)...)
		rf := d.Rules[0]
		if rf.Status != fix.StatusRefused || rf.Impact == nil || rf.Impact.Level != remedy.ImpactUnknown ||
			!strings.Contains(rf.Reason, "no authentication log or journal was read") || !strings.Contains(rf.Reason, "--accept-unknown ssh.permit_root_login_none") {
			t.Fatalf("%v: %+v", mode, rf)
		}
		if d.Preflight == nil {
			t.Fatalf("%v: no preflight sources", mode)
		}
		got := map[string]string{}
		for _, src := range d.Preflight.Sources {
			got[src.Name] = src.Status
		}
		if got[impact.SourceAuthLog] != impact.SourceMissing || got[impact.SourceJournal] != impact.SourceMissing || got[impact.SourceAccounts] != impact.SourceRead {
			t.Errorf("%v: sources %v", mode, got)
		}
	}
	_, table := run(3, append([]string{"fix"}, rule...)...)
	for _, w := range []string{"REFUSED, impact unknown", "Preflight sources:", "missing  auth-log", "read     accounts", "1 refused because their impact is unknown (see --accept-unknown)"} {
		if !strings.Contains(table, w) {
			t.Errorf("table lacks %q:\n%s", w, table)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config")); !strings.Contains(string(b), "PermitRootLogin yes\n") || strings.Contains(string(b), "cradle") {
		t.Fatalf("refused fix changed the target:\n%s", b)
	}
	// Accepted on the command line (glob) or by the tailoring: planned.
	d, _ := run(0, append([]string{"fix", "--format", "json", "--accept-unknown", "ssh.*"}, rule...)...)
	if d.Rules[0].Status != fix.StatusPlanned || !strings.Contains(d.Rules[0].Reason, "accepted by --accept-unknown") {
		t.Errorf("accepted: %+v", d.Rules[0])
	}
	tl := filepath.Join(t.TempDir(), "site.yaml")
	if err := os.WriteFile(tl, []byte("accept_unknown: [ssh.permit_root_login_none]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, _ = run(0, append([]string{"fix", "--format", "json", "--tailoring", tl}, rule...)...)
	if d.Rules[0].Status != fix.StatusPlanned || !strings.Contains(d.Rules[0].Reason, "accept_unknown in "+tl) {
		t.Errorf("tailored: %+v", d.Rules[0])
	}
	// A pattern that matches no rule is a usage error.
	if _, out := run(2, append([]string{"fix", "--accept-unknown", "shh.*"}, rule...)...); !strings.Contains(out, `--accept-unknown: "shh.*" matches no rule; did you mean "ssh.*"?`) {
		t.Errorf("typo: %s", out)
	}
	if err := os.WriteFile(tl, []byte("accept_unknown:\n  - ssh.permit_rot_login_none\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, out := run(2, append([]string{"fix", "--tailoring", tl}, rule...)...); !strings.Contains(out, tl+`:2: accept_unknown: unknown rule "ssh.permit_rot_login_none"; did you mean "ssh.permit_root_login_none"?`) {
		t.Errorf("tailoring typo: %s", out)
	}
	if _, out := run(2, "fix", "--root", root, "--rule", "ssh.permit_root_login_non"); !strings.Contains(out, `unknown rule "ssh.permit_root_login_non"; did you mean "ssh.permit_root_login_none"?`) {
		t.Errorf("--rule typo: %s", out)
	}
	if _, out := run(2, append([]string{"fix", "--force", "ssh.*"}, rule...)...); !strings.Contains(out, `--force: "ssh.*" is a glob; give a rule id`) {
		t.Errorf("--force glob: %s", out)
	}
	if _, out := run(2, append([]string{"fix", "--accept-unknown", "ssh.["}, rule...)...); !strings.Contains(out, "is not a rule id or glob") {
		t.Errorf("bad glob: %s", out)
	}
}
