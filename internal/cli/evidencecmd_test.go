package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runWith(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] }})
	return out.String(), errb.String(), code
}

// TestEvidenceBuildVerify drives risk init, evidence build and verify
// through the CLI, and checks the exit codes of a tampered and an
// unreadable pack.
func TestEvidenceBuildVerify(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"CRADLE_HOME": filepath.Join(dir, "home"), "SOURCE_DATE_EPOCH": "1764936000"}
	file := filepath.Join(dir, "cradle.yaml")
	if _, errs, code := runWith(t, env, "init", "--non-interactive", "--file", file, "--product", "edge-gateway",
		"--manufacturer", "Example GmbH", "--email", "psirt@example.com", "--category", "none"); code != 0 {
		t.Fatalf("init: %d %s", code, errs)
	}
	riskFile := filepath.Join(dir, "risk.yaml")
	if out, errs, code := runWith(t, env, "risk", "init", "--file", riskFile); code != 0 || !strings.Contains(out, "wrote") {
		t.Fatalf("risk init: %d %s %s", code, out, errs)
	}
	b, _ := os.ReadFile(file)
	os.WriteFile(file, append(b, []byte("risk_assessment: risk.yaml\n")...), 0o644)
	if out, errs, code := runWith(t, env, "risk", "check", "--config", file); code != 0 || !strings.Contains(out, "22 Annex I points") {
		t.Fatalf("risk check: %d %s %s", code, out, errs)
	}
	pack, zip := filepath.Join(dir, "pack"), filepath.Join(dir, "pack.zip")
	scan := filepath.Join("..", "evidence", "testdata", "inputs", "scan.json")
	sbom := filepath.Join("..", "evidence", "testdata", "inputs", "sbom.cdx.json")
	out, errs, code := runWith(t, env, "evidence", "build", "--config", file, "--release", "1.0.0", "--out", pack, "--zip", zip,
		"--input", "scan="+scan, "--input", "sbom="+sbom)
	if code != 0 || !strings.Contains(out, "CRA.A1.P2.1   met") {
		t.Fatalf("build: %d\n%s\n%s", code, out, errs)
	}
	if _, errs, code := runWith(t, env, "evidence", "build", "--config", file, "--out", pack); code != 2 || !strings.Contains(errs, "--force") {
		t.Errorf("build over an existing pack: %d %s", code, errs)
	}
	if _, errs, code := runWith(t, env, "evidence", "build", "--config", file, "--out", filepath.Join(dir, "p2"), "--input", "vuln="+scan); code != 2 {
		t.Errorf("scan report as vuln: %d %s", code, errs)
	}
	for _, p := range []string{pack, zip} {
		if out, errs, code := runWith(t, env, "evidence", "verify", p); code != 0 || !strings.Contains(out, "OK ") {
			t.Errorf("verify %s: %d %s %s", p, code, out, errs)
		}
	}
	os.WriteFile(filepath.Join(pack, "annex1-matrix.json"), []byte("{}"), 0o644)
	if out, _, code := runWith(t, env, "evidence", "verify", pack); code != 3 || !strings.Contains(out, "FAIL annex1-matrix.json") {
		t.Errorf("tampered: %d %s", code, out)
	}
	if _, errs, code := runWith(t, env, "evidence", "verify", dir+"/nothing"); code != 2 {
		t.Errorf("missing pack: %d %s", code, errs)
	}
	if _, errs, code := runWith(t, env, "evidence", "verify", file); code != 2 {
		t.Errorf("not a zip: %d %s", code, errs)
	}
}
