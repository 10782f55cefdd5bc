//go:build linux

// Package appliance holds the end-to-end test of the example product's CRA
// flow (run.sh); the example itself is the shell script and its files.
package appliance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/cradle-cra/cradle/internal/target/targettest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRunFlow builds cradle, puts it first on PATH and runs run.sh against
// the appliance fixture, then checks what the flow left under OUTDIR.
func TestRunFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cradle and runs the whole example flow")
	}
	root := applianceRoot(t)

	bin := buildCradle(t)
	out := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "run.sh", out, root)
	// run.sh sets CRADLE_HOME under OUTDIR; nothing of the caller's
	// cradle setup may leak in.
	cmd.Env = []string{"PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CRADLE_") && !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "APPLIANCE_ROOT=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	err := cmd.Run()
	logPath := filepath.Join(t.TempDir(), "run.log")
	_ = os.WriteFile(logPath, log.Bytes(), 0o644)
	if err != nil {
		t.Fatalf("run.sh: %v\n%s", err, tail(log.String(), 80))
	}
	t.Logf("run.sh log: %s (%d bytes)", logPath, log.Len())

	checkClassification(t, out)
	checkScans(t, out)
	checkVulnReport(t, out)
	checkCase(t, out)
	checkFixtureUntouched(t, root)

	if hasCommand(t, bin, "import", "case") {
		checkImportedCases(t, bin, out)
	} else {
		t.Log("this cradle has no case import; run.sh skipped that step")
	}
	if hasCommand(t, bin, "advisory") {
		checkAdvisory(t, out)
	} else {
		t.Log("this cradle has no advisory command; run.sh skipped that step")
	}
	if hasCommand(t, bin, "evidence") {
		checkEvidence(t, bin, out)
	} else {
		t.Log("this cradle has no evidence command; run.sh skipped the evidence pack")
	}
}

// applianceRoot returns the appliance tree (targettest.Appliance).
func applianceRoot(t *testing.T) string {
	t.Helper()
	return targettest.Appliance(t, "the example flow copies the appliance tree with its owners and fixes it", "bash", "cp", "date", "grep", "sed")
}

func buildCradle(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bin", "cradle")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/cradle-cra/cradle/cmd/cradle")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return bin
}

// hasCommand reports whether the cradle at bin lists name among the
// commands of parent (a path of commands; none for the root).
func hasCommand(t *testing.T, bin, name string, parent ...string) bool {
	t.Helper()
	b, err := exec.Command(bin, append(parent, "--help")...).Output()
	if err != nil {
		t.Fatalf("cradle %v --help: %v", parent, err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(line, "  ") && f[0] == name {
			return true
		}
	}
	return false
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func checkClassification(t *testing.T, out string) {
	var c struct {
		Kind   string `json:"kind"`
		Class  string `json:"class"`
		Routes []struct {
			Module  string `json:"module"`
			Verdict string `json:"verdict"`
		} `json:"routes"`
	}
	readJSON(t, filepath.Join(out, "classify.json"), &c)
	if c.Kind != "classification" || c.Class != "important-I" {
		t.Errorf("classify.json: kind %q class %q, want classification important-I", c.Kind, c.Class)
	}
	moduleA := ""
	for _, r := range c.Routes {
		if r.Module == "A" {
			moduleA = r.Verdict
		}
	}
	if moduleA != "closed" {
		t.Errorf("module A is %q for class I without standards applied in full, want closed", moduleA)
	}
	if _, err := os.Stat(filepath.Join(out, "init", "cradle.yaml")); err != nil {
		t.Errorf("cradle init wrote no starter file: %v", err)
	}
}

type scanReport struct {
	Kind    string `json:"kind"`
	Target  struct{ Name string }
	Summary map[string]int `json:"summary"`
}

func checkScans(t *testing.T, out string) {
	var before, after scanReport
	readJSON(t, filepath.Join(out, "scan", "before.json"), &before)
	readJSON(t, filepath.Join(out, "scan", "after.json"), &after)
	if before.Summary["fail"] == 0 {
		t.Errorf("the appliance as delivered fails no rule: %v", before.Summary)
	}
	if after.Summary["fail"] != 0 || after.Summary["error"] != 0 {
		t.Errorf("after fix, image steps and waivers: %v, want no fail or error", after.Summary)
	}
	if after.Summary["waived"] == 0 {
		t.Errorf("after: no waived rule, want the example's waivers applied: %v", after.Summary)
	}
	if want := filepath.Join(out, "rootfs"); after.Target.Name != want {
		t.Errorf("second scan target %q, want the copy %q", after.Target.Name, want)
	}
}

func checkVulnReport(t *testing.T, out string) {
	var r struct {
		Findings []struct {
			ID       string `json:"id"`
			Severity string `json:"severity"`
			Package  struct{ Name string }
		} `json:"findings"`
	}
	readJSON(t, filepath.Join(out, "vuln", "report.json"), &r)
	got := map[string]bool{}
	for _, f := range r.Findings {
		got[f.ID] = true
		if f.ID == "CRADLE-EXAMPLE-2026-0001" && f.Severity != "critical" {
			t.Errorf("%s (%s): severity %q, want critical", f.ID, f.Package.Name, f.Severity)
		}
	}
	for _, id := range []string{"CRADLE-EXAMPLE-2026-0001", "CRADLE-EXAMPLE-2026-0002"} {
		if !got[id] {
			t.Errorf("vuln/report.json lacks %s (a package the appliance ships in an affected version)", id)
		}
	}
	// 0003 is fixed before the shipped openssl; 0004 is for Debian 11.
	for _, id := range []string{"CRADLE-EXAMPLE-2026-0003", "CRADLE-EXAMPLE-2026-0004"} {
		if got[id] {
			t.Errorf("vuln/report.json reports %s, which does not apply to the appliance", id)
		}
	}
}

func checkCase(t *testing.T, out string) {
	var l struct {
		Cases []struct {
			ID          string    `json:"id"`
			Status      string    `json:"status"`
			Severity    string    `json:"severity"`
			Exploited   bool      `json:"exploited"`
			Aware       time.Time `json:"aware"`
			Mitigated   time.Time `json:"mitigated"`
			Remediation struct {
				Status string `json:"status"`
			} `json:"remediation"`
			Clocks []struct {
				Stage  string    `json:"stage"`
				Due    time.Time `json:"due"`
				Status string    `json:"status"`
			} `json:"clocks"`
		} `json:"cases"`
	}
	readJSON(t, filepath.Join(out, "case", "case.json"), &l)
	if len(l.Cases) != 1 {
		t.Fatalf("case/case.json: %d cases, want 1", len(l.Cases))
	}
	c := l.Cases[0]
	if !c.Exploited || c.Aware.IsZero() || c.Mitigated.IsZero() || c.Status != "fixed" || c.Severity != "critical" {
		t.Errorf("case %s: exploited %v aware %v mitigated %v status %q severity %q, want an exploited, fixed, critical case with awareness and fix times",
			c.ID, c.Exploited, c.Aware, c.Mitigated, c.Status, c.Severity)
	}
	if c.Remediation.Status != "met" {
		t.Errorf("case %s: remediation %q, want met (fixed within 7 days of receipt)", c.ID, c.Remediation.Status)
	}
	// Article 14(2): early warning 24 h and notification 72 h after
	// awareness, final report 14 days after the fix.
	want := map[string]struct {
		due    time.Time
		status string
	}{
		"early_warning": {c.Aware.Add(24 * time.Hour), "submitted"},
		"notification":  {c.Aware.Add(72 * time.Hour), "running"},
		"final_report":  {c.Mitigated.Add(14 * 24 * time.Hour), "running"},
	}
	seen := map[string]bool{}
	for _, k := range c.Clocks {
		w, ok := want[k.Stage]
		if !ok {
			continue
		}
		seen[k.Stage] = true
		if !k.Due.Equal(w.due) || k.Status != w.status {
			t.Errorf("%s clock: due %v status %q, want due %v status %q", k.Stage, k.Due, k.Status, w.due, w.status)
		}
	}
	for s := range want {
		if !seen[s] {
			t.Errorf("case %s: no %s clock (Article 14(2))", c.ID, s)
		}
	}
}

// checkImportedCases: the import made a case of the sudo finding, and the
// nginx finding's twin of the customer's case was closed as a duplicate.
func checkImportedCases(t *testing.T, bin, out string) {
	cmd := exec.Command(bin, "case", "list", "--format", "json")
	cmd.Env = append(os.Environ(), "CRADLE_HOME="+filepath.Join(out, "home"))
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("cradle case list: %v", err)
	}
	var l struct {
		Cases []struct {
			ID        string   `json:"id"`
			Aliases   []string `json:"aliases"`
			Exploited bool     `json:"exploited"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatalf("case list: %v", err)
	}
	open := map[string][]string{}
	for _, c := range l.Cases {
		for _, a := range c.Aliases {
			open[a] = append(open[a], c.ID)
		}
	}
	if got := open["CRADLE-EXAMPLE-2026-0001"]; len(got) != 1 {
		t.Errorf("open cases naming CRADLE-EXAMPLE-2026-0001: %v, want only the customer's case", got)
	}
	if got := open["CRADLE-EXAMPLE-2026-0002"]; len(got) != 1 {
		t.Errorf("open cases naming CRADLE-EXAMPLE-2026-0002 (sudo): %v, want the imported case", got)
	}
}

// checkFixtureUntouched spot-checks that the fixes and image steps went to
// the copy: what they remove or change is still in the fixture.
func checkFixtureUntouched(t *testing.T, root string) {
	for _, rel := range []string{"etc/ssh/ssh_host_ed25519_key", "etc/sudoers.d/90-cloud-init-users"} {
		if _, err := os.Stat(filepath.Join(root, rel)); err != nil {
			t.Errorf("the fixture changed: %v", err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(root, "etc", "machine-id")); err != nil || len(b) == 0 {
		t.Errorf("the fixture's machine-id changed (%q, %v)", b, err)
	}
	if _, err := os.Stat(filepath.Join(root, "etc", "sysctl.d", "99-zz-cradle.conf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a fix reached the fixture: %v", err)
	}
}

func checkAdvisory(t *testing.T, out string) {
	var docs []string
	err := filepath.WalkDir(filepath.Join(out, "csaf"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") && !strings.HasSuffix(p, "provider-metadata.json") {
			docs = append(docs, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range docs {
		var d struct {
			Document struct {
				Category    string `json:"category"`
				CSAFVersion string `json:"csaf_version"`
			} `json:"document"`
		}
		readJSON(t, p, &d)
		if d.Document.CSAFVersion == "2.0" && d.Document.Category == "csaf_security_advisory" {
			found = true
		}
	}
	if !found {
		t.Errorf("no CSAF 2.0 security advisory under csaf/ (JSON files: %v)", docs)
	}
	for _, rel := range []string{".well-known/csaf/provider-metadata.json", ".well-known/security.txt"} {
		if _, err := os.Stat(filepath.Join(out, "www", filepath.FromSlash(rel))); err != nil {
			t.Errorf("provider tree: %v", err)
		}
	}
}

func checkEvidence(t *testing.T, bin, out string) {
	pack := filepath.Join(out, "evidence")
	if _, err := os.Stat(filepath.Join(pack, "manifest.json")); err != nil {
		t.Fatalf("evidence pack: %v", err)
	}
	verify := func(dir string) (int, string) {
		cmd := exec.Command(bin, "evidence", "verify", dir)
		cmd.Env = append(os.Environ(), "CRADLE_HOME="+filepath.Join(out, "home"))
		b, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, string(b)
		case errors.As(err, &ee):
			return ee.ExitCode(), string(b)
		default:
			t.Fatalf("cradle evidence verify: %v", err)
			return -1, ""
		}
	}
	for _, p := range []string{pack, filepath.Join(out, "evidence.zip")} {
		if rc, msg := verify(p); rc != 0 {
			t.Fatalf("evidence verify %s: exit %d\n%s", p, rc, msg)
		}
	}
	// A copy with one changed byte in the matrix must not verify.
	tampered := filepath.Join(t.TempDir(), "pack")
	if b, err := exec.Command("cp", "-a", pack, tampered).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, b)
	}
	matrix := filepath.Join(tampered, "annex1-matrix.json")
	b, err := os.ReadFile(matrix)
	if err != nil {
		t.Fatalf("evidence pack has no Annex I matrix: %v", err)
	}
	var m any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("annex1-matrix.json: %v", err)
	}
	for _, id := range []string{"CRA.A1.P1.1", "CRA.A1.P1.2a", "CRA.A1.P1.2m", "CRA.A1.P2.1", "CRA.A1.P2.8"} {
		if !bytes.Contains(b, []byte(`"`+id+`"`)) {
			t.Errorf("annex1-matrix.json lacks %s", id)
		}
	}
	b = slices.Clone(b)
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(matrix, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if rc, msg := verify(tampered); rc != 3 {
		t.Errorf("a tampered pack: exit %d, want 3:\n%s", rc, msg)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
