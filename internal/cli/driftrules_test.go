package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDriftKeepsOwnRules: an approval with --rules stores the rule files
// in the snapshot, and drift evaluates the stored rules even after the
// files are gone.
func TestDriftKeepsOwnRules(t *testing.T) {
	root, mustRun, _ := driftFixture(t)
	dir := t.TempDir()
	own := filepath.Join(dir, "own.yaml")
	if err := os.WriteFile(own, []byte(`rules:
- id: org.sshd_config.mode
  title: sshd_config is not writable by others
  description: d
  rationale: r
  severity: medium
  profiles: [default]
  references: {cra: [CRA.A1.P1.2f]}
  check:
    file_mode: {paths: [/etc/ssh/sshd_config], max_mode: '0644'}
  fix: {disruption: low, strategy: restrict}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "etc/ssh/sshd_config")
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(0, "baseline", "approve", "--root", root, "--rules", dir, "--rule", "org.sshd_config.mode", "--reason", "own rules")
	if err := os.Remove(own); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o666); err != nil {
		t.Fatal(err)
	}
	out, _ := mustRun(3, "drift", "--root", root, "--format", "json")
	found := false
	for _, it := range decodeDrift(t, out).Items {
		found = found || it.Rule == "org.sshd_config.mode"
	}
	if !found {
		t.Fatalf("drift does not evaluate the stored rule:\n%s", out)
	}
}
