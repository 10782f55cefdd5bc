package db

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cradle-cra/cradle/internal/vuln/feed"
	"github.com/cradle-cra/cradle/internal/vuln/osv"
)

// MaxZipEntries bounds the records of one zip export (osv.dev's largest
// ecosystem export has about 500,000).
const MaxZipEntries = 5_000_000

// batch is how many records one write transaction holds.
const batch = 5000

// Import reads one source into the database: a directory of OSV JSON
// files (searched recursively), an osv.dev zip export, one OSV JSON
// record, a KEV catalogue (JSON) or an EPSS score file (CSV, .csv.gz).
// Records whose bytes did not change since the last import are left
// alone; changed ones replace their older version. Records that do not
// parse are counted as skipped and the first problems returned in warn.
func (d *DB) Import(ctx context.Context, source string, now time.Time, warn func(error)) (*Provenance, error) {
	st, err := os.Stat(source)
	if err != nil {
		return nil, err
	}
	p := &Provenance{Source: source, Time: now.UTC()}
	w := &writer{db: d, prov: p, warn: warn}
	lower := strings.ToLower(source)
	switch {
	case st.IsDir():
		p.Kind = "osv-dir"
		err = filepath.WalkDir(source, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			data, err := readBounded(path)
			if err != nil {
				return err
			}
			return w.add(path, data)
		})
	case strings.HasSuffix(lower, ".zip"):
		p.Kind = "osv-zip"
		err = w.zip(ctx, source)
	case strings.HasSuffix(lower, ".csv") || strings.HasSuffix(lower, ".csv.gz"):
		p.Kind = "epss"
		err = d.importEPSS(source, p)
	default:
		var data []byte
		if data, err = readBounded(source); err != nil {
			return nil, err
		}
		if feed.IsKEV(data[:min(len(data), 4096)]) {
			p.Kind = "kev"
			err = d.importKEV(data, p)
		} else {
			p.Kind = "osv-json"
			err = w.add(source, data)
		}
	}
	if err == nil {
		err = w.flush()
	}
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", source, err)
	}
	if p.Kind != "kev" && p.Kind != "epss" && p.Records == 0 {
		return nil, fmt.Errorf("import %s: no OSV records found", source)
	}
	if sum, err := fileSHA256(source, st); err == nil {
		p.SHA256 = sum
	}
	return p, d.record(p)
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, feed.MaxKEV+1))
	if err == nil && len(data) > feed.MaxKEV {
		err = fmt.Errorf("%s: over %d bytes", path, feed.MaxKEV)
	}
	return data, err
}

func fileSHA256(path string, st os.FileInfo) (string, error) {
	if st.IsDir() {
		return "", fmt.Errorf("directory")
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (w *writer) zip(ctx context.Context, path string) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer zr.Close()
	if len(zr.File) > MaxZipEntries {
		return fmt.Errorf("over %d entries", MaxZipEntries)
	}
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".json") || f.FileInfo().IsDir() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if f.UncompressedSize64 > osv.MaxRecord {
			w.skip(fmt.Errorf("%s: %w", f.Name, osv.ErrTooLarge))
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		data, err := io.ReadAll(io.LimitReader(rc, osv.MaxRecord+1))
		rc.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		if err := w.add(f.Name, data); err != nil {
			return err
		}
	}
	return nil
}

// writer batches records into write transactions.
type writer struct {
	db      *DB
	prov    *Provenance
	warn    func(error)
	pending []pending
}

type pending struct {
	rec  *osv.Record
	sum  []byte
	data []byte
}

func (w *writer) skip(err error) {
	w.prov.Skipped++
	if w.warn != nil && w.prov.Skipped <= 10 {
		w.warn(err)
	}
}

func (w *writer) add(name string, data []byte) error {
	rec, err := osv.Parse(data)
	if err != nil {
		w.skip(fmt.Errorf("%s: %w", name, err))
		return nil
	}
	sum := sha256.Sum256(data)
	rec.Details = "" // free text; reports link to the record instead
	stored, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	w.prov.Records++
	w.pending = append(w.pending, pending{rec: rec, sum: sum[:], data: stored})
	if len(w.pending) >= batch {
		return w.flush()
	}
	return nil
}

func (w *writer) flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	err := w.db.bolt.Update(func(tx *bolt.Tx) error {
		vulns, hashes, index := tx.Bucket(bVulns), tx.Bucket(bHashes), tx.Bucket(bIndex)
		for _, p := range w.pending {
			id := []byte(p.rec.ID)
			old := hashes.Get(id)
			if bytes.Equal(old, p.sum) {
				w.prov.Unchanged++
				continue
			}
			if old != nil {
				w.prov.Updated++
				if prev := vulns.Get(id); prev != nil {
					var r osv.Record
					if json.Unmarshal(prev, &r) == nil {
						for _, k := range indexKeys(&r) {
							if err := index.Delete(k); err != nil {
								return err
							}
						}
					}
				}
			} else {
				w.prov.Added++
			}
			if err := vulns.Put(id, p.data); err != nil {
				return err
			}
			if err := hashes.Put(id, p.sum); err != nil {
				return err
			}
			for _, k := range indexKeys(p.rec) {
				if err := index.Put(k, nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	w.pending = w.pending[:0]
	return err
}

func indexKeys(r *osv.Record) [][]byte {
	var keys [][]byte
	for _, a := range r.Affected {
		if a.Package.Name == "" {
			continue
		}
		keys = append(keys, []byte(osv.IndexKey(a.Package.Ecosystem, a.Package.Name)+r.ID))
	}
	return keys
}

// record appends the provenance to meta and stamps the update time.
func (d *DB) record(p *Provenance) error {
	return d.bolt.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bMeta)
		var list []Provenance
		if im := meta.Get([]byte("imports")); im != nil {
			if err := json.Unmarshal(im, &list); err != nil {
				return fmt.Errorf("meta imports: %w", err)
			}
		}
		// The latest import of each source is what the database holds.
		out := list[:0]
		for _, q := range list {
			if q.Source != p.Source {
				out = append(out, q)
			}
		}
		data, err := json.Marshal(append(out, *p))
		if err != nil {
			return err
		}
		if err := meta.Put([]byte("imports"), data); err != nil {
			return err
		}
		return meta.Put([]byte("updated"), []byte(p.Time.Format(time.RFC3339)))
	})
}
