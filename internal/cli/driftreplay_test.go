package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/drift"
)

// Putting back an older, validly signed snapshot is refused: drift
// compares the snapshot with the latest approval in the signed log.
func TestDriftRefusesReplayedSnapshot(t *testing.T) {
	root, mustRun, state := driftFixture(t)
	cfg := filepath.Join(root, "etc/ssh/sshd_config")
	// Snapshot A approves root login; snapshot B, approved later, does not.
	os.WriteFile(cfg, []byte(sshdDrifted), 0o644)
	mustRun(0, "baseline", "approve", "--root", root, "--reason", "A")
	dir := snapshotDirFor(t, state, root)
	old, err := os.ReadFile(filepath.Join(dir, drift.ApprovedFile))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(cfg, []byte(sshdApproved), 0o644)
	mustRun(0, "baseline", "approve", "--root", root, "--reason", "B")
	// Root login is allowed again: drift against B reports it.
	os.WriteFile(cfg, []byte(sshdDrifted), 0o644)
	mustRun(3, "drift", "--root", root)
	// Replaying A would hide it.
	os.WriteFile(filepath.Join(dir, drift.ApprovedFile), old, 0o600)
	_, errs := mustRun(3, "drift", "--root", root)
	if !strings.Contains(errs, "replayed") || !strings.Contains(errs, "entry 2") {
		t.Fatalf("replay not named: %s", errs)
	}
	mustRun(3, "watch", "--root", root, "--once")
	// A snapshot with no approval in the log (the log removed) is refused.
	os.WriteFile(cfg, []byte(sshdApproved), 0o644)
	mustRun(0, "baseline", "approve", "--root", root, "--reason", "C")
	mustRun(0, "drift", "--root", root)
	logs, _ := filepath.Glob(filepath.Join(state, "logs", "*"))
	for _, p := range logs {
		os.Remove(p)
	}
	_, errs = mustRun(3, "drift", "--root", root)
	if !strings.Contains(errs, "change log") {
		t.Fatalf("snapshot without a log: %s", errs)
	}
}
