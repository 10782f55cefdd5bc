// Package db is cradle's local vulnerability database: OSV records indexed
// by ecosystem and package name, plus the KEV catalogue and EPSS scores,
// in one bbolt file (go.etcd.io/bbolt: pure Go, a single file, ACID
// transactions and shared read locks, so scans can run while nothing else
// writes). bbolt was chosen over modernc.org/sqlite because lookups are
// prefix scans over one key space and bbolt adds ~0.4 MB to the binary
// against sqlite's ~6 MB; against a format of our own it buys crash-safe
// incremental updates. The whole Go vulnerability database (about 4,800
// records) imports in about a second into a file of a few tens of MB.
//
// Layout (schema 1):
//
//	meta     schema, updated (RFC 3339), imports (JSON provenance list)
//	vulns    id → record JSON (details dropped)
//	hashes   id → SHA-256 of the record as imported (incremental import)
//	index    ecosystem \0 name \0 id → "" (ecosystem without release)
//	kev      CVE → KEV entry JSON
//	epss     CVE → "score,percentile"
package db

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cradle-cra/cradle/internal/vuln/feed"
)

// SchemaVersion is the layout version written to meta; a database of
// another version is rejected with a request to re-import.
const SchemaVersion = "1"

var (
	bMeta   = []byte("meta")
	bVulns  = []byte("vulns")
	bHashes = []byte("hashes")
	bIndex  = []byte("index")
	bKEV    = []byte("kev")
	bEPSS   = []byte("epss")
)

// ErrMissing: no database at the path.
var ErrMissing = errors.New("no vulnerability database")

// DB is an open database.
type DB struct {
	bolt *bolt.DB
	Path string
}

// Provenance records one import of one source.
type Provenance struct {
	Source    string    `json:"source"`
	Kind      string    `json:"kind"` // osv-dir, osv-zip, osv-json, kev, epss
	SHA256    string    `json:"sha256,omitempty"`
	Time      time.Time `json:"time"`
	Records   int       `json:"records"`
	Added     int       `json:"added"`
	Updated   int       `json:"updated"`
	Unchanged int       `json:"unchanged"`
	Skipped   int       `json:"skipped,omitempty"`
	Version   string    `json:"version,omitempty"` // KEV catalogue version, EPSS score date
}

// Info describes a database.
type Info struct {
	Path    string       `json:"path"`
	Schema  string       `json:"schema"`
	Updated time.Time    `json:"updated"`
	Vulns   int          `json:"vulns"`
	KEV     int          `json:"kev"`
	EPSS    int          `json:"epss"`
	Imports []Provenance `json:"imports"`
}

// Create opens the database at path for import, creating it if absent.
func Create(path string) (*DB, error) {
	b, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("vulnerability database %s: %w", path, err)
	}
	d := &DB{bolt: b, Path: path}
	err = b.Update(func(tx *bolt.Tx) error {
		for _, n := range [][]byte{bMeta, bVulns, bHashes, bIndex, bKEV, bEPSS} {
			if _, err := tx.CreateBucketIfNotExists(n); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bMeta)
		if s := meta.Get([]byte("schema")); s != nil && string(s) != SchemaVersion {
			return fmt.Errorf("schema %s, this cradle writes %s: remove the file and import again", s, SchemaVersion)
		}
		return meta.Put([]byte("schema"), []byte(SchemaVersion))
	})
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("vulnerability database %s: %w", path, err)
	}
	return d, nil
}

// Open opens an existing database read-only.
func Open(path string) (*DB, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s: import one first with \"cradle vuln db import\"", ErrMissing, path)
	}
	b, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("vulnerability database %s: %w", path, err)
	}
	d := &DB{bolt: b, Path: path}
	err = b.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bMeta)
		if meta == nil {
			return errors.New("not a cradle vulnerability database")
		}
		if s := meta.Get([]byte("schema")); string(s) != SchemaVersion {
			return fmt.Errorf("schema %q, this cradle reads %s: import again into a new file", s, SchemaVersion)
		}
		return nil
	})
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("vulnerability database %s: %w", path, err)
	}
	return d, nil
}

// Close closes the file.
func (d *DB) Close() error { return d.bolt.Close() }

// Info reads the database's metadata and counts.
func (d *DB) Info() (*Info, error) {
	in := &Info{Path: d.Path}
	err := d.bolt.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bMeta)
		in.Schema = string(meta.Get([]byte("schema")))
		if u := meta.Get([]byte("updated")); u != nil {
			t, err := time.Parse(time.RFC3339, string(u))
			if err != nil {
				return fmt.Errorf("meta updated: %w", err)
			}
			in.Updated = t
		}
		if im := meta.Get([]byte("imports")); im != nil {
			if err := json.Unmarshal(im, &in.Imports); err != nil {
				return fmt.Errorf("meta imports: %w", err)
			}
		}
		in.Vulns = tx.Bucket(bVulns).Stats().KeyN
		in.KEV = tx.Bucket(bKEV).Stats().KeyN
		in.EPSS = tx.Bucket(bEPSS).Stats().KeyN
		return nil
	})
	return in, err
}

// KEV returns the catalogue entry of a CVE.
func (d *DB) KEV(cve string) (*feed.KEV, error) {
	var k *feed.KEV
	err := d.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bKEV).Get([]byte(cve))
		if v == nil {
			return nil
		}
		k = &feed.KEV{}
		return json.Unmarshal(v, k)
	})
	return k, err
}

// EPSS returns the score of a CVE, nil when it has none.
func (d *DB) EPSS(cve string) (*feed.EPSS, error) {
	var e *feed.EPSS
	err := d.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bEPSS).Get([]byte(cve))
		if v == nil {
			return nil
		}
		e = &feed.EPSS{CVE: cve}
		_, err := fmt.Sscanf(string(v), "%g,%g", &e.Score, &e.Percentile)
		return err
	})
	return e, err
}
