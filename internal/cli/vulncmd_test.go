package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVulnScan(t *testing.T) {
	state := t.TempDir()
	run := mustRunner(t, map[string]string{"CRADLE_HOME": state})
	sbom := filepath.Join("testdata", "vuln", "app.cdx.json")

	// No database yet: an input error that says what to do.
	_, errs := run(2, "vuln", "scan", sbom)
	if !strings.Contains(errs, "no vulnerability database") || !strings.Contains(errs, "vuln db import") {
		t.Errorf("missing database: %s", errs)
	}
	out, _ := run(0, "vuln", "db", "import", filepath.Join("testdata", "vuln", "osv"))
	if !strings.Contains(out, "2 records (2 added") {
		t.Errorf("import: %s", out)
	}
	if _, err := os.Stat(filepath.Join(state, "vuln", "osv.db")); err != nil {
		t.Fatalf("default database: %v", err)
	}
	out, _ = run(0, "vuln", "db", "import", filepath.Join("testdata", "vuln", "osv"))
	if !strings.Contains(out, "2 unchanged") {
		t.Errorf("re-import is not incremental: %s", out)
	}

	// Report only, then the gates.
	out, _ = run(0, "vuln", "scan", sbom)
	for _, want := range []string{"GO-2021-0052", "1.7.7", "GHSA-test-0001", "critical", "firmware-tool"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	run(3, "vuln", "scan", sbom, "--fail-on", "critical")
	run(0, "vuln", "scan", sbom, "--fail-on", "known-exploited")
	// The Go record has no severity: unknown counts as critical unless told.
	vex := filepath.Join("testdata", "vuln", "product.openvex.json")
	run(3, "vuln", "scan", sbom, "--fail-on", "high", "--vex", vex)
	run(0, "vuln", "scan", sbom, "--fail-on", "high", "--vex", vex, "--unknown-as", "medium")

	out, _ = run(0, "vuln", "scan", sbom, "--vex", vex, "--format", "json")
	var r struct {
		Findings []struct {
			ID            string   `json:"id"`
			FixedVersions []string `json:"fixed_versions"`
			VEX           *struct {
				Status, Justification string
				Suppressed            bool
			} `json:"vex"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 2 || r.Findings[1].VEX == nil || !r.Findings[1].VEX.Suppressed || r.Findings[1].VEX.Justification != "vulnerable_code_not_in_execute_path" {
		t.Errorf("findings: %+v", r.Findings)
	}
	for _, f := range []string{"sarif", "openvex"} {
		if out, _ := run(0, "vuln", "scan", sbom, "--format", f); !strings.Contains(out, "GO-2021-0052") {
			t.Errorf("%s: %s", f, out)
		}
	}

	// A stale database names its age.
	db := filepath.Join(state, "vuln", "osv.db")
	_, errs = run(2, "vuln", "scan", sbom, "--max-age", "1ns")
	if !strings.Contains(errs, "stale") || !strings.Contains(errs, "ago") {
		t.Errorf("stale database: %s", errs)
	}
	run(0, "vuln", "scan", sbom, "--max-age", "0", "--db", db)

	// Usage errors.
	run(2, "vuln", "scan", sbom, "--fail-on", "severe")
	run(2, "vuln", "scan", sbom, "--root", state)
	run(2, "vuln", "db", "import", filepath.Join("testdata", "vuln", "app.cdx.json"))
}
