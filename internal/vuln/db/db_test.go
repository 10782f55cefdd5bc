package db

import (
	"archive/zip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

func record(id, fixed string) string {
	return `{"id":"` + id + `","aliases":["CVE-2026-` + id[len(id)-4:] + `"],"affected":[{"package":{"ecosystem":"PyPI","name":"Foo_Bar"},` +
		`"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"` + fixed + `"}]}]}]}`
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestImport(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "osv")
	write(t, filepath.Join(src, "PYSEC-2026-0001.json"), record("PYSEC-2026-0001", "1.0"))
	write(t, filepath.Join(src, "sub", "PYSEC-2026-0002.json"), record("PYSEC-2026-0002", "2.0"))
	write(t, filepath.Join(src, "broken.json"), `{"id":`)
	write(t, filepath.Join(src, "README.md"), "not a record")
	path := filepath.Join(dir, "osv.db")

	if _, err := Open(path); !errors.Is(err, ErrMissing) {
		t.Fatalf("Open of a missing database: %v", err)
	}
	d, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var warned []error
	p, err := d.Import(context.Background(), src, now, func(err error) { warned = append(warned, err) })
	if err != nil || p.Kind != "osv-dir" || p.Records != 2 || p.Added != 2 || p.Skipped != 1 || len(warned) != 1 {
		t.Fatalf("first import: %+v %v %v", p, err, warned)
	}
	// Incremental: one record changes, one stays.
	write(t, filepath.Join(src, "sub", "PYSEC-2026-0002.json"), record("PYSEC-2026-0002", "2.1"))
	p, err = d.Import(context.Background(), src, now.Add(time.Hour), nil)
	if err != nil || p.Updated != 1 || p.Unchanged != 1 || p.Added != 0 {
		t.Fatalf("re-import: %+v %v", p, err)
	}
	// A zip export and the feeds.
	zpath := filepath.Join(dir, "PyPI-all.zip")
	zf, _ := os.Create(zpath)
	zw := zip.NewWriter(zf)
	w, _ := zw.Create("PYSEC-2026-0003.json")
	w.Write([]byte(record("PYSEC-2026-0003", "3.0")))
	zw.Close()
	zf.Close()
	kev := filepath.Join(dir, "known_exploited_vulnerabilities.json")
	write(t, kev, `{"catalogVersion":"2026.12.01","dateReleased":"x","vulnerabilities":[{"cveID":"CVE-2026-0001","dateAdded":"2026-11-30"}]}`)
	epss := filepath.Join(dir, "epss.csv")
	write(t, epss, "cve,epss,percentile\nCVE-2026-0002,0.5,0.9\n")
	for _, s := range []string{zpath, kev, epss} {
		if _, err := d.Import(context.Background(), s, now.Add(2*time.Hour), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Import(context.Background(), filepath.Join(src, "README.md"), now, nil); err == nil || !strings.Contains(err.Error(), "no OSV records") {
		t.Errorf("a file without records: %v", err)
	}
	d.Close()

	d, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	info, err := d.Info()
	if err != nil || info.Vulns != 3 || info.KEV != 1 || info.EPSS != 1 || len(info.Imports) != 4 || !info.Updated.Equal(now.Add(2*time.Hour)) || info.Schema != SchemaVersion {
		t.Fatalf("info %+v %v", info, err)
	}
	recs, err := d.Lookup("PyPI", "foo-bar")
	if err != nil || len(recs) != 3 {
		t.Fatalf("lookup: %d %v", len(recs), err)
	}
	for _, r := range recs {
		if r.ID == "PYSEC-2026-0002" && r.Affected[0].Ranges[0].Events[1].Fixed != "2.1" {
			t.Errorf("updated record not stored: %+v", r.Affected[0].Ranges[0])
		}
	}
	if k, _ := d.KEV("CVE-2026-0001"); k == nil || k.DateAdded != "2026-11-30" {
		t.Errorf("KEV %+v", k)
	}
	if e, _ := d.EPSS("CVE-2026-0002"); e == nil || e.Score != 0.5 || e.Percentile != 0.9 {
		t.Errorf("EPSS %+v", e)
	}
	if e, _ := d.EPSS("CVE-1999-0001"); e != nil {
		t.Errorf("EPSS of an unknown CVE: %+v", e)
	}
}

// A withdrawn record stays in the database (a later re-import may revive
// it) but no lookup returns it; re-importing it withdrawn hides it.
func TestWithdrawn(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "osv")
	write(t, filepath.Join(src, "PYSEC-2026-0003.json"), record("PYSEC-2026-0003", "1.0"))
	d, err := Create(filepath.Join(dir, "osv.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Import(context.Background(), src, now, nil); err != nil {
		t.Fatal(err)
	}
	if rs, err := d.Lookup("PyPI", "foo-bar"); err != nil || len(rs) != 1 {
		t.Fatalf("lookup: %v %v", rs, err)
	}
	write(t, filepath.Join(src, "PYSEC-2026-0003.json"), strings.Replace(record("PYSEC-2026-0003", "1.0"), `{"id"`, `{"withdrawn":"2026-12-01T00:00:00Z","id"`, 1))
	if p, err := d.Import(context.Background(), src, now.Add(time.Hour), nil); err != nil || p.Updated != 1 {
		t.Fatalf("re-import: %+v %v", p, err)
	}
	if rs, err := d.Lookup("PyPI", "foo-bar"); err != nil || len(rs) != 0 {
		t.Errorf("withdrawn record looked up: %v %v", rs, err)
	}
}
