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
	run(2, "vuln", "db", "info")
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

	if out, _ := run(0, "vuln", "db", "info"); !strings.Contains(out, "2 vulnerabilities") || !strings.Contains(out, "osv-dir") {
		t.Errorf("db info: %s", out)
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
	// The Go record has no severity: unknown counts as high unless told,
	// and the report says so.
	vex := filepath.Join("testdata", "vuln", "product.openvex.json")
	if out, _ := run(3, "vuln", "scan", sbom, "--fail-on", "high", "--vex", vex); !strings.Contains(out, "without severity, counted as high (--unknown-as)") {
		t.Errorf("gate does not explain the unknown rule:\n%s", out)
	}
	if out, _ := run(0, "vuln", "scan", sbom, "--fail-on", "critical", "--vex", vex); !strings.Contains(out, "without severity counted as high (--unknown-as), below the threshold") {
		t.Errorf("passing gate does not name the unrated findings:\n%s", out)
	}
	run(3, "vuln", "scan", sbom, "--fail-on", "critical", "--vex", vex, "--unknown-as", "critical")
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
	for _, f := range []string{"sarif", "openvex", "cyclonedx"} {
		if out, _ := run(0, "vuln", "scan", sbom, "--format", f); !strings.Contains(out, "GO-2021-0052") {
			t.Errorf("%s: %s", f, out)
		}
	}

	// The KEV catalogue marks the gin finding (alias CVE-2020-28483) exploited.
	run(0, "vuln", "db", "import", filepath.Join("testdata", "vuln", "kev.json"))
	out, _ = run(3, "vuln", "scan", sbom, "--fail-on", "known-exploited")
	if !strings.Contains(out, "known exploited") {
		t.Errorf("KEV finding:\n%s", out)
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

// TestVulnScanRoot: the packages of a root filesystem, matched under
// their source package as Debian's advisories name them.
func TestVulnScanRoot(t *testing.T) {
	state, root, osvDir := t.TempDir(), t.TempDir(), t.TempDir()
	files := map[string]string{
		"etc/os-release": "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
		"var/lib/dpkg/status": "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u3\nSource: glibc\nArchitecture: amd64\n" +
			"Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\n\n" +
			"Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nSource: zlib\nArchitecture: amd64\n\n",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rec := `{"id":"DSA-9999-1","aliases":["CVE-2026-9999"],"affected":[{"package":{"ecosystem":"Debian:12","name":"glibc"},` +
		`"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.36-9+deb12u4"}]}]},` +
		`{"package":{"ecosystem":"Debian:12","name":"zlib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2.13.dfsg-2"}]}]}]}`
	if err := os.WriteFile(filepath.Join(osvDir, "DSA-9999-1.json"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	run := mustRunner(t, map[string]string{"CRADLE_HOME": state})
	run(0, "vuln", "db", "import", osvDir)
	out, _ := run(3, "vuln", "scan", "--root", root, "--fail-on", "low")
	// zlib's epoch 1 is newer than the unversioned fix: only libc6.
	if !strings.Contains(out, "libc6") || !strings.Contains(out, "2.36-9+deb12u4") || strings.Contains(out, "zlib1g  ") || !strings.Contains(out, "1 findings") {
		t.Errorf("root scan:\n%s", out)
	}
}
