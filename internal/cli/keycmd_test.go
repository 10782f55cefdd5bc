package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/changelog"
	"github.com/cradle-cra/cradle/internal/envelope"
	"github.com/cradle-cra/cradle/internal/signing"
)

// After a rotation, old entries still verify and new ones are signed by
// the new key; a signature by an unknown key is refused; the public keys
// can be listed and exported.
func TestKeyRotateListExport(t *testing.T) {
	state := t.TempDir()
	env := map[string]string{"CRADLE_HOME": state}
	rootfs := t.TempDir()
	mustRun := mustRunner(t, env)
	mustRun(2, "key", "rotate") // nothing generated yet
	mustRun(0, "log", "append", "--reason", "before rotation")
	mustRun(0, "log", "append", "--root", rootfs, "--reason", "rootfs before rotation")
	kd := filepath.Join(state, "keys")
	oldID := signing.ActiveID(kd)

	out, _ := mustRun(0, "key", "rotate", "--reason", "yearly", "--actor", "sec-team")
	newID := signing.ActiveID(kd)
	if newID == oldID || !strings.Contains(out, newID) || !strings.Contains(out, "2 change log(s)") {
		t.Fatalf("rotate: %s (old %s new %s)", out, oldID, newID)
	}
	mustRun(0, "log", "append", "--reason", "after rotation")

	// The whole log verifies: the entry by the old key, the rotation
	// signed by both, the entry by the new key.
	mustRun(0, "log", "verify")
	mustRun(0, "log", "verify", "--root", rootfs)
	out, _ = mustRun(0, "log", "--format", "json")
	var doc struct{ Entries []changelog.Entry }
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	es := doc.Entries
	if len(es) != 3 || es[0].KeyID != oldID || es[1].Action != changelog.ActionKeyRotate || es[1].KeyID != oldID ||
		len(es[1].Cosigners) != 1 || es[1].Cosigners[0] != newID || es[2].KeyID != newID {
		t.Fatalf("entries %+v", es)
	}

	// list and export.
	out, _ = mustRun(0, "key", "list")
	if !strings.Contains(out, newID+"  ") || !strings.Contains(out, "active") || !strings.Contains(out, oldID) || !strings.Contains(out, "retired") {
		t.Fatalf("key list:\n%s", out)
	}
	if strings.Index(out, newID) > strings.Index(out, oldID) {
		t.Errorf("active key not listed first:\n%s", out)
	}
	out, _ = mustRun(0, "key", "list", "--format", "json")
	var kl signing.KeyList
	if err := json.Unmarshal([]byte(out), &kl); err != nil || kl.Kind != signing.ListKind || len(kl.Keys) != 2 || kl.Keys[0].Status != signing.StatusActive {
		t.Fatalf("key list json: %v %s", err, out)
	}
	pemOut, _ := mustRun(0, "key", "export")
	pub, err := signing.ParsePublic("stdout", []byte(pemOut))
	if err != nil || signing.KeyID(pub) != newID {
		t.Fatalf("export: %v %s", err, pemOut)
	}
	oldPub := filepath.Join(t.TempDir(), "old.pub")
	mustRun(0, "key", "export", "--key", oldID, "-o", oldPub)
	if p, err := signing.LoadPublic(oldPub); err != nil || signing.KeyID(p) != oldID {
		t.Fatalf("export --key: %v", err)
	}
	mustRun(2, "key", "export", "--key", "0000000000000000")
	// A verifier holding only the exported keys checks the whole log.
	newPub := filepath.Join(t.TempDir(), "new.pub")
	os.WriteFile(newPub, []byte(pemOut), 0o644)
	mustRun(0, "log", "verify", "--pubkey", oldPub, "--pubkey", newPub)
	_, errs := mustRun(3, "log", "verify", "--pubkey", newPub)
	if !strings.Contains(errs, "entry 1") || !strings.Contains(errs, "unknown key") {
		t.Fatalf("without the old key: %s", errs)
	}

	// An entry signed by a key that is not trusted is refused, by verify
	// and by the next append.
	rogue, _ := signing.Generate()
	p := logPath(t, state, "host")
	b, _ := os.ReadFile(p)
	lines := strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
	last, _, _ := parseLastEntry(t, lines[len(lines)-1])
	last.Seq, last.PrevHash, last.Reason = last.Seq+1, last.Hash, "forged"
	payload, _ := json.Marshal(map[string]any{"seq": last.Seq, "prev_hash": last.PrevHash, "reason": last.Reason,
		"action": "note", "target": "host", "time": last.Time, "actor": last.Actor})
	env2, _ := envelope.Sign(envelope.TypeChangeLogEntry, payload, rogue)
	line, _ := envelope.Marshal(env2)
	os.WriteFile(p, append(b, append(line, '\n')...), 0o600)
	_, errs = mustRun(3, "log", "verify")
	if !strings.Contains(errs, "entry 4") || !strings.Contains(errs, "unknown key") {
		t.Fatalf("rogue entry: %s", errs)
	}
	mustRun(2, "log", "append", "--reason", "on top of a forged entry")
	mustRun(2, "key", "rotate") // a damaged log stops a rotation
	if signing.ActiveID(kd) != newID {
		t.Fatal("a refused rotation changed the active key")
	}
}

func parseLastEntry(t *testing.T, line string) (changelog.Entry, string, error) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "l.jsonl")
	os.WriteFile(f, []byte(line+"\n"), 0o600)
	fh, _ := os.Open(f)
	defer fh.Close()
	es, err := changelog.Entries(fh)
	if err != nil || len(es) != 1 {
		t.Fatalf("parse %q: %v", line, err)
	}
	return es[0], line, nil
}

// A snapshot approved before a rotation keeps verifying; the next approval
// is signed by the new key.
func TestSnapshotSurvivesKeyRotation(t *testing.T) {
	root, mustRun, state := driftFixture(t)
	mustRun(0, "baseline", "approve", "--root", root)
	kd := filepath.Join(state, "keys")
	oldID := signing.ActiveID(kd)
	mustRun(0, "key", "rotate")
	mustRun(0, "drift", "--root", root)
	mustRun(0, "log", "verify", "--root", root)
	mustRun(0, "baseline", "approve", "--root", root)
	b, err := os.ReadFile(filepath.Join(snapshotDirFor(t, state, root), "approved.json"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := envelope.Parse(b)
	if err != nil || len(env.Signatures) != 1 || env.Signatures[0].KeyID == oldID || env.Signatures[0].KeyID != signing.ActiveID(kd) {
		t.Fatalf("new approval signed by %v (old %s): %v", envelope.KeyIDs(env), oldID, err)
	}
	mustRun(0, "drift", "--root", root)
}

// Actions cradle records itself cannot be appended by hand.
func TestReservedActionsRefused(t *testing.T) {
	mustRun := mustRunner(t, map[string]string{"CRADLE_HOME": t.TempDir()})
	mustRun(2, "log", "append", "--action", "key-rotate", "--reason", "x")
	mustRun(2, "log", "append", "--action", "log-repair", "--reason", "x")
}

// An operator-managed key is rotated where it is managed, not here.
func TestKeyRotateRefusesManagedKey(t *testing.T) {
	mustRun := mustRunner(t, map[string]string{"CRADLE_HOME": t.TempDir(), signing.EnvKey: "/etc/cradle/key.pem"})
	if _, errs := mustRun(2, "key", "rotate"); !strings.Contains(errs, "where it is managed") {
		t.Fatalf("stderr %q", errs)
	}
	mustRun = mustRunner(t, map[string]string{"CRADLE_HOME": t.TempDir()})
	mustRun(2, "key", "rotate", "--key", "/etc/cradle/key.pem")
	mustRun(2, "key", "list", "--format", "sarif")
}
