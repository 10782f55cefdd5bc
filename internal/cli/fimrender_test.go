package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFimFormats: check writes SARIF, JUnit and HTML, and a saved JSON
// report converts to each.
func TestFimFormats(t *testing.T) {
	root, db, mustRun := fimFixture(t)
	mustRun(0, "fim", "init", "--root", root, "--db", db)
	if err := os.WriteFile(filepath.Join(root, "usr/bin/ls"), []byte("ELF evil"), 0o755); err != nil {
		t.Fatal(err)
	}
	saved := filepath.Join(t.TempDir(), "fim.json")
	mustRun(3, "fim", "check", "--root", root, "--db", db, "--format", "json", "-o", saved)
	for _, format := range []string{"sarif", "junit", "html"} {
		direct, _ := mustRun(3, "fim", "check", "--root", root, "--db", db, "--format", format)
		converted, _ := mustRun(0, "convert", saved, "--format", format)
		for _, out := range []string{direct, converted} {
			if !strings.Contains(out, "usr/bin/ls") {
				t.Errorf("%s: no change of usr/bin/ls:\n%s", format, out)
			}
		}
	}
	out, _ := mustRun(3, "fim", "check", "--root", root, "--db", db, "--format", "sarif")
	var log struct {
		Runs []struct {
			Results []struct{ RuleID, Level string }
		}
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil || len(log.Runs) != 1 || len(log.Runs[0].Results) != 1 ||
		log.Runs[0].Results[0].RuleID != "fim.changed" || log.Runs[0].Results[0].Level != "error" {
		t.Errorf("sarif: %v %+v", err, log)
	}
}
