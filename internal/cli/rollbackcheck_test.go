package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/fix"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/target/targettest"
)

// Rollback acts only on runs the signed change log vouches for: a record
// added to the journal, or edited run metadata, is refused (exit 3), as
// is a run the log has no apply entry for (exit 2 unless --force).
func TestRollbackRefusesForgedJournal(t *testing.T) {
	const sshd = "PermitRootLogin yes\n"
	root := targettest.Dir(t, map[string]string{
		"etc/os-release":      "ID=debian\nVERSION_ID=\"12\"\n",
		"etc/ssh/sshd_config": sshd,
	})
	state := t.TempDir()
	mustRun := mustRunner(t, map[string]string{"CRADLE_HOME": state})
	out, _ := mustRun(0, "fix", "--root", root, "--rule", "ssh.permit_root_login", "--apply", "--no-preflight", "--format", "json")
	var d fix.Document
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.Run == nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	spec, err := target.NewSpec(target.KindRootFS, root)
	if err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(state, "runs", spec.Key(), d.Run.ID)
	jpath, rpath := filepath.Join(runDir, "journal.jsonl"), filepath.Join(runDir, "run.json")
	journalOrig, _ := os.ReadFile(jpath)
	runOrig, _ := os.ReadFile(rpath)
	applied, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config"))

	// A record appended to the journal (here: the run's own first record
	// retargeted at /etc/ld.so.preload).
	first := journalOrig[:strings.IndexByte(string(journalOrig), '\n')+1]
	forged := strings.ReplaceAll(string(first), "etc/ssh/sshd_config", "etc/ld.so.preload")
	os.WriteFile(jpath, append(append([]byte{}, journalOrig...), forged...), 0o600)
	_, errs := mustRun(3, "rollback", "--root", root, d.Run.ID)
	if !strings.Contains(errs, "added to its journal") {
		t.Fatalf("forged record: %s", errs)
	}
	// A record edited in place.
	os.WriteFile(jpath, []byte(strings.Replace(string(journalOrig), `"seq":1`, `"seq":7`, 1)), 0o600)
	mustRun(3, "rollback", "--root", root, d.Run.ID)
	os.WriteFile(jpath, journalOrig, 0o600)
	// Run metadata edited.
	os.WriteFile(rpath, []byte(strings.Replace(string(runOrig), `"ssh.permit_root_login"`, `"ssh.other"`, 1)), 0o600)
	_, errs = mustRun(3, "rollback", "--root", root, d.Run.ID)
	if !strings.Contains(errs, "run.json") {
		t.Fatalf("edited run.json: %s", errs)
	}
	os.WriteFile(rpath, runOrig, 0o600)
	if b, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config")); string(b) != string(applied) {
		t.Fatal("a refused rollback changed the target")
	}
	if _, err := os.Lstat(filepath.Join(root, "etc/ld.so.preload")); !os.IsNotExist(err) {
		t.Fatalf("ld.so.preload: %v", err)
	}

	// A run directory the log never recorded.
	planted := filepath.Join(filepath.Dir(runDir), "20990101T000000Z-abcd")
	os.MkdirAll(planted, 0o700)
	os.WriteFile(filepath.Join(planted, "journal.jsonl"), journalOrig, 0o600)
	os.WriteFile(filepath.Join(planted, "run.json"), []byte(strings.Replace(string(runOrig), d.Run.ID, "20990101T000000Z-abcd", 1)), 0o600)
	_, errs = mustRun(2, "rollback", "--root", root, "20990101T000000Z-abcd")
	if !strings.Contains(errs, "no apply entry") {
		t.Fatalf("planted run: %s", errs)
	}

	// The genuine run rolls back, and a rollback interrupted and resumed
	// (its own records after the seal) is accepted.
	mustRun(0, "rollback", "--root", root, d.Run.ID)
	if b, _ := os.ReadFile(filepath.Join(root, "etc/ssh/sshd_config")); string(b) != sshd {
		t.Fatalf("not restored: %q", b)
	}
	mustRun(0, "log", "verify", "--root", root)
}
