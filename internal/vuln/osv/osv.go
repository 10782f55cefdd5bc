// Package osv reads vulnerability records in the Open Source Vulnerability
// format (OSV schema 1.x, https://ossf.github.io/osv-schema/) and decides
// whether a package version falls in a record's affected ranges. Records
// are untrusted input: every read is bounded in size and checked for the
// structure matching relies on.
package osv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxRecord bounds one record's JSON (the largest in the Go and GitHub
// databases are a few hundred KiB).
const MaxRecord = 8 << 20

// Range types.
const (
	RangeSemver    = "SEMVER"
	RangeEcosystem = "ECOSYSTEM"
	RangeGit       = "GIT"
)

// Record is the part of an OSV record that matching and reports use. The
// free-text details are dropped on import.
type Record struct {
	SchemaVersion    string      `json:"schema_version,omitempty"`
	ID               string      `json:"id"`
	Modified         string      `json:"modified,omitempty"`
	Published        string      `json:"published,omitempty"`
	Withdrawn        string      `json:"withdrawn,omitempty"`
	Aliases          []string    `json:"aliases,omitempty"`
	Summary          string      `json:"summary,omitempty"`
	Details          string      `json:"details,omitempty"`
	Severity         []Severity  `json:"severity,omitempty"`
	Affected         []Affected  `json:"affected,omitempty"`
	DatabaseSpecific *DBSpecific `json:"database_specific,omitempty"`
}

// Severity is a scored rating: Type CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu;
// Score the vector (or the Ubuntu word).
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// DBSpecific keeps the one database-specific field read: the textual
// severity GitHub and some distributions give (LOW, MODERATE, HIGH,
// CRITICAL) when a record has no vector.
type DBSpecific struct {
	Severity string `json:"severity,omitempty"`
}

// Affected is one package a record affects, and at which versions.
type Affected struct {
	Package           Package            `json:"package"`
	Severity          []Severity         `json:"severity,omitempty"`
	Ranges            []Range            `json:"ranges,omitempty"`
	Versions          []string           `json:"versions,omitempty"`
	EcosystemSpecific *EcosystemSpecific `json:"ecosystem_specific,omitempty"`
}

// Package names a package in its ecosystem ("Go", "PyPI", "Debian:12").
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	PURL      string `json:"purl,omitempty"`
}

// Range is a list of version events of one Type.
type Range struct {
	Type   string  `json:"type"`
	Repo   string  `json:"repo,omitempty"`
	Events []Event `json:"events"`
}

// Event is one of introduced, fixed, last_affected or limit.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// EcosystemSpecific holds what the Go database says about the affected
// packages: their import paths and the platforms they are limited to.
type EcosystemSpecific struct {
	Imports []Import `json:"imports,omitempty"`
}

// Import is an affected Go package; empty GOOS/GOARCH lists mean all.
type Import struct {
	Path   string   `json:"path"`
	GOOS   []string `json:"goos,omitempty"`
	GOARCH []string `json:"goarch,omitempty"`
}

// ErrTooLarge: a record over MaxRecord.
var ErrTooLarge = errors.New("OSV record too large")

// Read reads one record from r, at most MaxRecord bytes.
func Read(r io.Reader) (*Record, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxRecord+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxRecord {
		return nil, fmt.Errorf("%w (over %d bytes)", ErrTooLarge, MaxRecord)
	}
	return Parse(data)
}

// Parse decodes and checks one record.
func Parse(data []byte) (*Record, error) {
	if len(data) > MaxRecord {
		return nil, fmt.Errorf("%w (%d bytes)", ErrTooLarge, len(data))
	}
	var rec Record
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("OSV record: %w", err)
	}
	if err := rec.check(); err != nil {
		return nil, err
	}
	return &rec, nil
}

func (r *Record) check() error {
	if r.ID == "" || len(r.ID) > 256 || strings.ContainsAny(r.ID, "\x00/\\") {
		return fmt.Errorf("OSV record: bad id %q", r.ID)
	}
	for i, a := range r.Affected {
		if a.Package.Name == "" && a.Package.PURL == "" && len(a.Ranges) == 0 {
			return fmt.Errorf("OSV record %s: affected[%d] names no package", r.ID, i)
		}
		for j, rg := range a.Ranges {
			for k, e := range rg.Events {
				n := 0
				for _, v := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
					if v != "" {
						n++
					}
				}
				if n != 1 {
					return fmt.Errorf("OSV record %s: affected[%d].ranges[%d].events[%d] must have exactly one of introduced, fixed, last_affected, limit", r.ID, i, j, k)
				}
			}
		}
	}
	return nil
}

// IDs is the record's id followed by its aliases.
func (r *Record) IDs() []string { return append([]string{r.ID}, r.Aliases...) }

// IndexKey is how a package is looked up: its ecosystem without release
// suffix and its name normalised as the ecosystem compares names (PyPI:
// case-insensitive, runs of "-", "_", "." equal).
func IndexKey(ecosystem, name string) string {
	eco := ecosystem
	if i := strings.IndexByte(eco, ':'); i >= 0 {
		eco = eco[:i]
	}
	if eco == "PyPI" {
		name = strings.ToLower(name)
		name = strings.Join(strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' || r == '.' }), "-")
	}
	return eco + "\x00" + name + "\x00"
}
