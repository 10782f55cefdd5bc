package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cradle-cra/cradle/internal/vuln/db"
)

// VulnImportInput names the sources to import and the database.
type VulnImportInput struct {
	DB      string // "" → $CRADLE_HOME/vuln/osv.db
	Sources []string
	Time    time.Time // zero → now
}

// VulnImportOutput is what the import did.
type VulnImportOutput struct {
	DB      string
	Imports []db.Provenance
	Info    *db.Info
	Bytes   int64
	Took    time.Duration
}

// vulnDBPath resolves --db.
func (a *App) vulnDBPath(p string) (string, error) {
	if p != "" {
		return p, nil
	}
	h, err := a.Home()
	if err != nil {
		return "", err
	}
	return h.VulnDB(), nil
}

// VulnImport imports OSV data, a KEV catalogue or EPSS scores into the
// local database, creating it when absent. Nothing is downloaded.
func (a *App) VulnImport(ctx context.Context, in VulnImportInput) (*VulnImportOutput, error) {
	if len(in.Sources) == 0 {
		return nil, Usagef("name at least one source: an OSV directory or zip export, a KEV JSON or an EPSS CSV")
	}
	for _, s := range in.Sources {
		if _, err := os.Stat(s); err != nil {
			return nil, Input(fmt.Errorf("source: %w", err))
		}
	}
	path, err := a.vulnDBPath(in.DB)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	now := in.Time
	if now.IsZero() {
		now = time.Now()
	}
	start := time.Now()
	d, err := db.Create(path)
	if err != nil {
		return nil, Input(err)
	}
	out := &VulnImportOutput{DB: path}
	for _, s := range in.Sources {
		p, err := d.Import(ctx, s, now, a.warn)
		if err != nil {
			d.Close()
			if ctx.Err() != nil {
				return nil, err
			}
			return nil, Input(err)
		}
		out.Imports = append(out.Imports, *p)
	}
	if out.Info, err = d.Info(); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.Close(); err != nil {
		return nil, err
	}
	out.Took = time.Since(start)
	if st, err := os.Stat(path); err == nil {
		out.Bytes = st.Size()
	}
	return out, nil
}

// openVulnDB opens the database for reading and refuses one older than
// maxAge (0: any age), naming its age.
func (a *App) openVulnDB(path string, maxAge time.Duration, now time.Time) (*db.DB, *db.Info, error) {
	d, err := db.Open(path)
	if err != nil {
		return nil, nil, Input(err) // missing (db.ErrMissing), unreadable or another schema
	}
	info, err := d.Info()
	if err != nil {
		d.Close()
		return nil, nil, Input(err)
	}
	if info.Updated.IsZero() {
		d.Close()
		return nil, nil, Input(fmt.Errorf("vulnerability database %s holds no completed import: run \"cradle vuln db import\"", path))
	}
	if age := now.Sub(info.Updated); maxAge > 0 && age > maxAge {
		d.Close()
		return nil, nil, Input(fmt.Errorf("vulnerability database %s is stale: last imported %s, %s ago (over --max-age %s); import fresh data or pass --max-age 0",
			path, info.Updated.Format(time.RFC3339), age.Round(time.Hour), maxAge))
	}
	return d, info, nil
}

// VulnDBInfo describes the database: schema, counts, last import and the
// provenance of every source.
func (a *App) VulnDBInfo(path string) (*db.Info, error) {
	path, err := a.vulnDBPath(path)
	if err != nil {
		return nil, err
	}
	d, info, err := a.openVulnDB(path, 0, time.Now())
	if err != nil {
		return nil, err
	}
	return info, d.Close()
}
