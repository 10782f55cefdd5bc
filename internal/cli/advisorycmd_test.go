package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const productYAML = `schema_version: 1
manufacturer:
  name: Example GmbH
  address: Musterstrasse 1, 10115 Berlin, Germany
  website: https://example.com
product:
  name: edge-gateway
  identifier: serial numbers EGW-2xxxx
  versions: ["2.4.0", "2.4.1"]
  cpe: cpe:2.3:o:example:edge-gateway
  purl: pkg:generic/example/edge-gateway
intended_purpose: Connects field devices to the cloud.
support:
  start: 2026-01-01
  end: 2033-01-01
security:
  contact: psirt@example.com
  cvd_policy: https://example.com/security/policy
classification:
  categories: []
`

func TestAdvisoryCommand(t *testing.T) {
	home := t.TempDir()
	must := mustRunner(t, map[string]string{"CRADLE_HOME": home})
	dir := t.TempDir()
	prod := filepath.Join(dir, "cradle.yaml")
	if err := os.WriteFile(prod, []byte(productYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	must(0, "case", "new", "--title", "RCE in the web UI", "--product", "edge-gateway", "--version", "2.4.0", "--alias", "CVE-2026-12345",
		"--cvss3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "--received", "2026-12-01T09:00:00Z")
	out := filepath.Join(dir, "csaf")
	web := filepath.Join(dir, "www")
	if _, errs := must(2, "advisory", "CASE-2026-0001", "--config", prod, "-o", out, "--provider", web); !strings.Contains(errs, "is a draft") {
		t.Errorf("draft published: %s", errs)
	}
	must(0, "case", "update", "CASE-2026-0001", "--status", "confirmed")
	must(0, "case", "update", "CASE-2026-0001", "--status", "fixed", "--fixed-version", "2.4.1", "--mitigated", "2026-12-04T10:00:00Z", "--mitigation", "Fixed in 2.4.1.")
	js, _ := must(0, "advisory", "CASE-2026-0001", "--config", prod, "-o", out, "--final", "--provider", web, "--format", "json")
	var res struct {
		Status, Version string
		Documents       []struct{ Path string }
		Provider        []struct{ Path string }
	}
	if err := json.Unmarshal([]byte(js), &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != "final" || res.Version != "1" || len(res.Documents) != 2 || len(res.Provider) != 2 {
		t.Fatalf("result %s", js)
	}
	// Again without changes: the same revision; the case records one.
	js, _ = must(0, "advisory", "CASE-2026-0001", "--config", prod, "-o", out, "--final", "--format", "json")
	if !strings.Contains(js, `"version": "1"`) {
		t.Errorf("unchanged content made a new revision: %s", js)
	}
	for _, f := range []string{".well-known/security.txt", ".well-known/csaf/provider-metadata.json", ".well-known/csaf/white/index.txt",
		".well-known/csaf/white/changes.csv", ".well-known/csaf/white/2026/case-2026-0001-vex.json.asc"} {
		if _, err := os.Stat(filepath.Join(web, f)); err != nil {
			t.Error(err)
		}
	}
	must(0, "case", "verify")
	// The organisation's key: refused while group-readable, then it signs.
	keyFile := filepath.Join(dir, "psirt-key.asc")
	b, err := os.ReadFile(filepath.Join(home, "keys", "openpgp-private.asc"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, b, 0o640); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if _, errs := must(2, "advisory", "CASE-2026-0001", "--config", prod, "-o", out, "--final", "--provider", web, "--openpgp-key", keyFile); !strings.Contains(errs, "chmod 600") {
			t.Errorf("group-readable key: %s", errs)
		}
	}
	if err := os.Chmod(keyFile, 0o600); err != nil {
		t.Fatal(err)
	}
	if js, _ := must(0, "advisory", "CASE-2026-0001", "--config", prod, "-o", out, "--final", "--provider", web, "--openpgp-key", keyFile, "--format", "json"); !strings.Contains(js, "signed by the organisation key") {
		t.Errorf("organisation key: %s", js)
	}
	pm, err := os.ReadFile(filepath.Join(web, ".well-known", "csaf", "provider-metadata.json"))
	if err != nil || !strings.Contains(string(pm), `"role": "csaf_trusted_provider"`) || !strings.Contains(string(pm), `"public_openpgp_keys"`) {
		t.Errorf("provider-metadata.json: %v\n%s", err, pm)
	}
	// The independent validator (schema and mandatory tests), when installed.
	if script := os.Getenv("CRADLE_TEST_CSAF_VALIDATOR"); script != "" {
		files := []string{res.Documents[0].Path, res.Documents[1].Path}
		if b, err := exec.Command("node", append([]string{script}, files...)...).CombinedOutput(); err != nil {
			t.Errorf("csaf-validator-lib: %v\n%s", err, b)
		}
	}
	if _, errs := must(2, "advisory", "CASE-2026-0009", "--config", prod, "-o", out); !strings.Contains(errs, "no such case") {
		t.Errorf("unknown case: %s", errs)
	}
}
