package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkGolden compares got with testdata/name, rewriting it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("%s differs (go test ./internal/cli -run %s -update):\n--- got\n%s\n--- want\n%s", p, t.Name(), got, want)
	}
}

// TestRulesShow shows an organisation's rules in full: parameters with
// their defaults, a native and a manual fix, references with the CRA
// points spelt out.
func TestRulesShow(t *testing.T) {
	org := filepath.Join("testdata", "rules", "org.yaml")
	for _, tt := range []struct{ format, golden string }{
		{"table", "rules-show.txt.golden"},
		{"json", "rules-show.json.golden"},
	} {
		t.Run(tt.format, func(t *testing.T) {
			out, errs, code := run(t, "rules", "--rules", org, "--format", tt.format, "org.app_config.permissions", "org.motd.owner")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			checkGolden(t, tt.golden, out)
		})
	}
}

func TestRulesShowBuiltin(t *testing.T) {
	out, errs, code := run(t, "rules", "accounts.uid0_only_root")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"Only root has UID 0", "Rationale", "Fix (manual", "Notes: ", "CRA.A1.P1.2d  Annex I, Part I, point (2)(d)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRulesErrors(t *testing.T) {
	clash := filepath.Join("testdata", "badrules", "clash.yaml")
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"rules", "ssh.permit_rot_login"}, []string{`unknown rule "ssh.permit_rot_login"; did you mean "ssh.permit_root_login"?`}},
		{[]string{"rules", "--rules", clash}, []string{
			clash + `:2: rule id "ssh.permit_root_login" is a built-in rule`,
			clash + `:14: rule "org.bad.template": unknown profile "nosuch"`}},
		{[]string{"rules", "--rules", filepath.Join("testdata", "nothing-here")}, []string{"--rules:"}},
		{[]string{"scan", "--root", t.TempDir(), "--rules", clash}, []string{clash + ":2:"}},
		{[]string{"rules", "--format", "markdown", "--rules", clash}, []string{"drop --profile, --rules"}},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, errs, code := run(t, tt.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2: %s", code, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errs)
				}
			}
		})
	}
}

// TestScanOwnRules evaluates an organisation's rule on a tree.
func TestScanOwnRules(t *testing.T) {
	root := acmeTree(t)
	org := filepath.Join("testdata", "rules")
	out, errs, code := run(t, "scan", "--root", root, "--rules", org, "--rule", "org.app_config.permissions", "--format", "json")
	if code != 3 {
		t.Fatalf("exit %d, want 3: %s", code, errs)
	}
	if !strings.Contains(out, `"rule_id": "org.app_config.permissions"`) || !strings.Contains(out, `"status": "fail"`) {
		t.Errorf("the own rule did not fail:\n%s", out)
	}
}

// TestScanNextSteps: the table's next steps repeat the scan's target,
// profile and selection flags in the fix and HTML commands.
func TestScanNextSteps(t *testing.T) {
	root := acmeTree(t)
	org := filepath.Join("testdata", "rules")
	out, errs, code := run(t, "scan", "--root", root, "--rules", org, "--rule", "org.app_config.permissions", "--profile", "strict", "--no-color")
	if code != 3 {
		t.Fatalf("exit %d, want 3: %s", code, errs)
	}
	sel := "--root " + root + " --profile strict --rules " + org + " --rule org.app_config.permissions"
	for _, want := range []string{
		"    CRA: CRA.A1.P1.2e Confidentiality of data\n",
		"1 of 1 failure has a native fix",
		"    cradle fix " + sel + "\n",
		"    cradle fix " + sel + " --apply\n",
		"cradle scan " + sel + " --format html -o cradle-report.html",
		"      - rule: org.app_config.permissions\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestFixOwnRules plans the native fix of an organisation's rule.
func TestFixOwnRules(t *testing.T) {
	root := acmeTree(t)
	out, errs, code := run(t, "fix", "--root", root, "--rules", filepath.Join("testdata", "rules"), "--rule", "org.app_config.permissions", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, `"rule": "org.app_config.permissions"`) || !strings.Contains(out, "/etc/acme/app.conf") {
		t.Errorf("no fix planned for the own rule:\n%s", out)
	}
}

// acmeTree is a tree whose /etc/acme/app.conf fails the organisation's
// rule org.app_config.permissions (mode 0644).
func acmeTree(t *testing.T) string {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc", "acme"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc", "acme", "app.conf"), []byte("password=x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestLogAppendOwnRules: cradle log append names an organisation's rule
// when its rule file is given, and refuses it otherwise.
func TestLogAppendOwnRules(t *testing.T) {
	env := map[string]string{"CRADLE_HOME": t.TempDir()}
	root := acmeTree(t)
	args := []string{"log", "append", "--root", root, "--reason", "tightened by hand", "--rule", "org.app_config.permissions"}
	if _, errs, code := runIn(t, env, args...); code != 2 || !strings.Contains(errs, `unknown rule "org.app_config.permissions"`) {
		t.Fatalf("without --rules: exit %d: %s", code, errs)
	}
	if _, errs, code := runIn(t, env, append(args, "--rules", filepath.Join("testdata", "rules"))...); code != 0 {
		t.Fatalf("with --rules: exit %d: %s", code, errs)
	}
}
