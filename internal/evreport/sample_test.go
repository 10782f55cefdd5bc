package evreport

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/cra"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// sampleModel is a pack for a small appliance: every section filled, every
// state present, and values that need escaping.
func sampleModel() Model {
	at := time.Date(2026, 12, 5, 14, 30, 0, 0, time.UTC)
	m := Model{
		Product: Product{
			Name: "edge-gateway", Model: "EG-200", Identifier: "EG-200-<serial>",
			Description:     "Debian-based gateway appliance",
			IntendedPurpose: "Routing & filtering traffic between a plant network and the internet",
		},
		Release: "2.4.1",
		Manufacturer: Manufacturer{
			Name: "Example GmbH", Address: "Musterstraße 1, 10115 Berlin", Email: "info@example.com",
			Website: "https://example.com", SecurityContact: "psirt@example.com",
		},
		Classification: Classification{
			Class: "important class I", Categories: []string{"I.12"}, Route: "module B+C",
			Routes: []Route{
				{"module A", "closed", "class I without harmonised standards applied in full"},
				{"module B+C", "open", "any class"},
				{"module H", "open", "any class"},
				{"EUCC", "conditional", "a certificate at level substantial or high"},
			},
		},
		Support:   Support{Start: "2026-01", End: "2033-12", Justification: "seven years of expected use"},
		Retention: Retention{Until: "2036-12-05", Reason: "ten years after placing on the market (longer than the support period)"},
		Compliance: []ComplianceRun{
			{Name: "debian12-server", Deployment: "appliance", Pass: 187, Fail: 6, Unknown: 4, Waived: 2, NotApplicable: 31, Evidence: "scan/appliance.json"},
			{Name: "cradle-baseline", Pass: 40, Fail: 0, Unknown: 1, Evidence: "scan/baseline.json"},
		},
		Vulnerabilities: Vulnerabilities{
			BySeverity: []Count{{"critical", 1}, {"high", 3}, {"medium", 11}, {"low", 7}, {"unknown", 2}},
			ByStatus:   []Count{{"affected", 4}, {"not_affected", 15}, {"fixed", 3}, {"under_investigation", 2}},
			Cases: []Case{{
				ID: "CASE-2026-0001", Title: "RCE in the web UI <script>alert(1)</script>", Severity: "critical", Status: "fixing",
				Aliases: []string{"CVE-2026-12345"}, Kind: "vulnerability", Aware: at.Add(-30 * time.Hour),
				Clocks: []Clock{
					{Stage: "early_warning", Status: "submitted", Due: at.Add(-6 * time.Hour), Submitted: at.Add(-20 * time.Hour), Reference: "SRP-4711"},
					{Stage: "notification", Status: "due_soon", Due: at.Add(42 * time.Hour)},
					{Stage: "final_report", Status: "not_started"},
				},
			}},
			Evidence: []string{"vuln/report.json", "vex/openvex.json", "advisories/CASE-2026-0001.json"},
		},
		SBOM: SBOM{
			Format: "CycloneDX 1.6", Components: 431, Evidence: "sbom/cyclonedx.json",
			Ecosystems: []Count{{"deb", 412}, {"golang", 17}, {"generic", 2}},
		},
		Integrity: []IntegrityCheck{
			{Name: "FIM", Status: "clean", Summary: "12,044 files match the baseline", Evidence: "fim/check.json"},
			{Name: "drift", Status: "changed", Summary: "2 settings differ from the hardened state", Evidence: "drift/status.json"},
		},
		Artifacts: []Artifact{
			{Path: "matrix.json", Size: 18342, SHA256: strings.Repeat("ab", 32)},
			{Path: "sbom/cyclonedx.json", Size: 1 << 21, SHA256: strings.Repeat("0f", 32)},
			{Path: "scan/appliance.json", Size: 912, SHA256: strings.Repeat("9c", 32)},
		},
		Signature: Signature{Algorithm: "ed25519", KeyID: "SHA256:k3y1d", Format: "DSSE (in-toto)", File: "manifest.json.sig"},
		Generated: at,
		Tool:      "cradle 1.4.0",
		Notes:     []string{"No harmonised standard was cited in the Official Journal as of August 2026."},
	}
	for i, p := range cra.AnnexI() {
		r := Requirement{ID: p.ID, Applicable: true, Status: Met, Controls: []string{"rule set " + p.ID}, Evidence: []string{"scan/appliance.json"}}
		switch i % 5 {
		case 1:
			r.Status = Partial
			r.Gaps = []string{"2 failing rules"}
		case 2:
			r.Status = NotMet
			r.Gaps = []string{"no evidence of secure deletion", "reset not documented"}
		case 3:
			r.Status = Unknown
			r.Controls, r.Evidence = nil, nil
		}
		if p.ID == "CRA.A1.P1.2g" {
			r = Requirement{ID: p.ID, Applicable: false, Justification: "the product processes no personal data"}
		}
		m.Matrix = append(m.Matrix, r)
	}
	return m
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/evreport -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update and review the diff)", path)
	}
}
