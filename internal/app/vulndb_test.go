package app

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cradle-cra/cradle/internal/vuln/db"
)

// A database that is missing, holds no import, or is older than
// --max-age is an input error that says so (and how old it is).
func TestOpenVulnDBErrors(t *testing.T) {
	a := &App{}
	dir := t.TempDir()
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	if _, _, err := a.openVulnDB(filepath.Join(dir, "missing.db"), 0, now); !errors.Is(err, db.ErrMissing) || ClassOf(err) != Usage {
		t.Errorf("missing: %v", err)
	}
	path := filepath.Join(dir, "empty.db")
	d, err := db.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, _, err := a.openVulnDB(path, 0, now); err == nil || !strings.Contains(err.Error(), "no completed import") || ClassOf(err) != Usage {
		t.Errorf("empty: %v", err)
	}
}
