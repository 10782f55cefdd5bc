package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cradle-cra/cradle/internal/target/targettest"
)

type fimDoc struct {
	Database struct {
		Seq uint64 `json:"seq"`
	} `json:"database"`
	Summary struct {
		Entries, Added, Removed, Changed, Hashed, Reused int
	} `json:"summary"`
	Changes []struct {
		Path, Kind string
		Diffs      []struct{ Attribute, Old, New string }
	} `json:"changes"`
}

func fimFixture(t *testing.T) (root, db string, mustRun func(want int, args ...string) (string, string)) {
	t.Helper()
	root = targettest.Dir(t, map[string]string{
		"etc/hosts":      "127.0.0.1 localhost\n",
		"etc/passwd":     "root:x:0:0::/root:/bin/sh\n",
		"usr/bin/ls":     "ELF ls",
		"usr/bin/sh":     "->dash",
		"home/u/scratch": "not selected",
	})
	home := t.TempDir()
	return root, filepath.Join(home, "fim", "x.db"), mustRunner(t, map[string]string{"CRADLE_HOME": home})
}

func decodeFim(t *testing.T, out string) fimDoc { return decodeAs[fimDoc](t, out) }

func TestFimLifecycle(t *testing.T) {
	root, db, mustRun := fimFixture(t)
	out, _ := mustRun(0, "fim", "init", "--root", root, "--db", db, "--change-ref", "CHG-1", "--reason", "first", "--format", "json")
	if d := decodeFim(t, out); d.Database.Seq != 1 || d.Summary.Entries != 6 || d.Summary.Hashed != 3 {
		t.Fatalf("init: %+v", d)
	}
	mustRun(2, "fim", "init", "--root", root, "--db", db) // exists: update's job
	out, _ = mustRun(0, "fim", "check", "--root", root, "--db", db, "--format", "json")
	if d := decodeFim(t, out); len(d.Changes) != 0 || d.Summary.Hashed != 0 || d.Summary.Reused != 3 {
		t.Fatalf("unchanged check: %+v", d)
	}
	out, _ = mustRun(0, "fim", "check", "--root", root, "--db", db, "--full", "--format", "json")
	if d := decodeFim(t, out); len(d.Changes) != 0 || d.Summary.Hashed != 3 {
		t.Fatalf("--full check: %+v", d)
	}
	old, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "etc/hosts"), []byte("10.6.6.6 localhost\n"), 0o644)
	out, _ = mustRun(3, "fim", "check", "--root", root, "--db", db)
	if !strings.Contains(out, "changed file /etc/hosts") || !strings.Contains(out, "sha256") {
		t.Errorf("check table:\n%s", out)
	}
	out, _ = mustRun(0, "fim", "update", "--root", root, "--db", db, "--change-ref", "CHG-2", "--reason", "new hosts", "--format", "json")
	if d := decodeFim(t, out); d.Database.Seq != 2 || len(d.Changes) != 1 {
		t.Fatalf("update: %+v", d)
	}
	mustRun(0, "fim", "check", "--root", root, "--db", db)
	out, _ = mustRun(0, "fim", "show", "--root", root, "--db", db)
	if !strings.Contains(out, "/usr/bin/sh -> dash") {
		t.Errorf("show:\n%s", out)
	}
	logOut, _ := mustRun(0, "log", "--root", root, "--format", "json")
	if !strings.Contains(logOut, "CHG-2") || !strings.Contains(logOut, "new hosts") || !strings.Contains(logOut, `"seq": 2`) {
		t.Errorf("change log does not record the update:\n%s", logOut)
	}
	// The database from before the update, put back: validly signed, but
	// not what the change log records.
	os.WriteFile(db, old, 0o600)
	_, errs := mustRun(2, "fim", "check", "--root", root, "--db", db)
	if !strings.Contains(errs, "older database (seq 1) was put back") || !strings.Contains(errs, "fails verification") {
		t.Errorf("rollback: %s", errs)
	}
}

func TestFimTampering(t *testing.T) {
	root, db, mustRun := fimFixture(t)
	mustRun(0, "fim", "init", "--root", root, "--db", db)
	good, _ := os.ReadFile(db)
	other := filepath.Join(t.TempDir(), "other.db")
	for name, data := range map[string][]byte{
		"flipped byte": flip(good, len(good)-10),
		"truncated":    good[:len(good)/2],
		"empty":        {},
	} {
		os.WriteFile(db, data, 0o600)
		if _, errs := mustRun(2, "fim", "check", "--root", root, "--db", db); !strings.Contains(errs, "fails verification") {
			t.Errorf("%s: %s", name, errs)
		}
	}
	// A valid database of another tree, copied over: signed by a key of
	// another home, so unknown here.
	root2, db2, mustRun2 := fimFixture(t)
	mustRun2(0, "fim", "init", "--root", root2, "--db", db2)
	b, _ := os.ReadFile(db2)
	os.WriteFile(other, b, 0o600)
	if _, errs := mustRun(2, "fim", "check", "--root", root, "--db", other); !strings.Contains(errs, "unknown key") {
		t.Errorf("other key: %s", errs)
	}
	// Missing database: a usage error naming init, not "no change".
	os.Remove(db)
	if _, errs := mustRun(2, "fim", "check", "--root", root, "--db", db); !strings.Contains(errs, "cradle fim init") {
		t.Errorf("missing: %s", errs)
	}
}

func TestFimPolicyErrors(t *testing.T) {
	root, db, mustRun := fimFixture(t)
	cfg := filepath.Join(t.TempDir(), "fim.yaml")
	os.WriteFile(cfg, []byte("paths:\n  - path: /etc\n    attributes: [md5]\n"), 0o600)
	if _, errs := mustRun(2, "fim", "init", "--root", root, "--db", db, "--config", cfg); !strings.Contains(errs, "fim.yaml:2") {
		t.Errorf("policy error: %s", errs)
	}
	mustRun(2, "fim", "check", "--root", root, "--format", "xml")
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x20
	return c
}
