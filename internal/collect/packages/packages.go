// Package packages collects the installed-package inventory of a target
// from the package manager's own database: dpkg's status file, apk's
// installed database and rpm's SQLite rpmdb (Fedora 33+, RHEL 9+), read
// offline with no package-manager binary and nothing written anywhere.
package packages

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/osrelease"
	"github.com/cradle-cra/cradle/internal/facts"
	"github.com/cradle-cra/cradle/internal/target"
	"github.com/cradle-cra/cradle/internal/textline"
)

// Package manager names.
const (
	Dpkg = "dpkg"
	Apk  = "apk"
	RPM  = "rpm"
)

// Package is one package known to a database.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Arch    string `json:"arch,omitempty"`
	Source  string `json:"source,omitempty"`
	// Status is dpkg's status word ("installed", "config-files", ...);
	// "installed" for apk and rpm.
	Status string `json:"status"`
	// Installed is true when the package's files are on disk: every dpkg
	// state but not-installed and config-files.
	Installed bool   `json:"installed"`
	Manager   string `json:"manager"`
	File      string `json:"file"` // database, absolute ("/var/lib/dpkg/status")
	Line      int    `json:"line,omitempty"`
	// Record is the rpmdb Packages row (hnum) the header came from.
	Record int64 `json:"record,omitempty"`
	// PURL is the package URL (github.com/package-url/purl-spec), set by
	// Collect from the manager and the target's os-release.
	PURL string `json:"purl,omitempty"`
	// Supplier is who ships the package: dpkg's Maintainer, apk's
	// maintainer (m:), rpm's Vendor.
	Supplier string `json:"supplier,omitempty"`
	// License is the licence as the database states it: apk's L: and
	// rpm's License tag; dpkg's status file has none.
	License string `json:"license,omitempty"`
	// Depends lists dpkg's Pre-Depends and Depends, one alternative
	// group ("a | b") a row, names only (versions and :arch dropped).
	Depends [][]string `json:"depends,omitempty"`
	// Provides lists the virtual names dpkg's Provides declares, or the
	// provided capabilities of rpm (PROVIDENAME) and apk (p:); Depends
	// holds rpm's requires (REQUIRENAME) and apk's D: as one-name groups.
	Provides []string `json:"provides,omitempty"`
	// Conffiles maps each dpkg conffile (absolute, clean) to the md5
	// recorded when it was installed ("" when none, e.g. newconffile);
	// file integrity attribution reads it, documents do not.
	Conffiles map[string]string `json:"-"`
}

// Source is one package database found on the target.
type Source struct {
	Manager string `json:"manager"`
	File    string `json:"file"`
	// Err is set when the database exists but could not be read or parsed;
	// checks then report error rather than a guess.
	Err string `json:"error,omitempty"`
}

// DB is the package inventory of a target.
type DB struct {
	Sources  []Source  `json:"sources"`
	Packages []Package `json:"packages"`
	byName   map[string][]int
}

// Key is the fact-store key.
const Key = "packages"

// Get returns the memoised inventory.
func Get(s *facts.Store) (*DB, error) { return facts.Get(s, Key, facts.OfTarget(Collect)) }

// rpmdb locations: Fedora 36+ keeps it under /usr, with /var/lib/rpm a
// symlink to it on upgraded systems.
var rpmSQLitePaths = []string{"usr/lib/sysimage/rpm/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite"}
var rpmLegacyPaths = []string{"var/lib/rpm/Packages", "var/lib/rpm/Packages.db", "usr/lib/sysimage/rpm/Packages", "usr/lib/sysimage/rpm/Packages.db"}

// maxRPMDB bounds the rpmdb we are willing to read (large hosts reach a
// few hundred MiB).
const maxRPMDB = 1 << 30

// Collect reads every package database present. Missing databases are
// simply absent from Sources; unreadable ones are recorded with Err.
func Collect(ctx context.Context, t target.Target) (*DB, error) {
	db := &DB{}
	if b, err := target.ReadFileLimit(t, "var/lib/dpkg/status", maxTextDB); err == nil {
		db.Sources = append(db.Sources, Source{Manager: Dpkg, File: "/var/lib/dpkg/status"})
		db.Packages = append(db.Packages, ParseDpkgStatus(b, "/var/lib/dpkg/status")...)
	} else if !errors.Is(err, fs.ErrNotExist) {
		db.Sources = append(db.Sources, Source{Manager: Dpkg, File: "/var/lib/dpkg/status", Err: err.Error()})
	}
	if err := db.collectDistroless(t); err != nil {
		return nil, err
	}
	if b, err := target.ReadFileLimit(t, "lib/apk/db/installed", maxTextDB); err == nil {
		db.Sources = append(db.Sources, Source{Manager: Apk, File: "/lib/apk/db/installed"})
		db.Packages = append(db.Packages, ParseApkInstalled(b, "/lib/apk/db/installed")...)
	} else if !errors.Is(err, fs.ErrNotExist) {
		db.Sources = append(db.Sources, Source{Manager: Apk, File: "/lib/apk/db/installed", Err: err.Error()})
	}
	db.collectRPM(ctx, t)
	// Without os-release the purls lack the distro qualifier (and rpm's
	// namespace); an unreadable one is no reason to lose the inventory.
	osr, _ := osrelease.Collect(ctx, t)
	db.setPURLs(osr)
	db.index()
	return db, nil
}

// dpkgRelations splits a Depends-style field into alternative groups of
// package names: "libc6 (>= 2.34), a | b:any" → [[libc6] [a b]].
func dpkgRelations(field string) [][]string {
	var out [][]string
	for _, group := range strings.Split(field, ",") {
		var alts []string
		for _, alt := range strings.Split(group, "|") {
			name := strings.TrimSpace(alt)
			if i := strings.IndexAny(name, " ([<:"); i >= 0 {
				name = name[:i]
			}
			if name != "" {
				alts = append(alts, name)
			}
		}
		if len(alts) > 0 {
			out = append(out, alts)
		}
	}
	return out
}

// collectDistroless reads /var/lib/dpkg/status.d/, where distroless
// container images keep one status stanza file per package instead of a
// status file.
func (db *DB) collectDistroless(t target.Target) error {
	ents, err := t.ReadDir("var/lib/dpkg/status.d")
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	src := Source{Manager: Dpkg, File: "/var/lib/dpkg/status.d"}
	if err != nil {
		src.Err = err.Error()
		db.Sources = append(db.Sources, src)
		return nil
	}
	db.Sources = append(db.Sources, src)
	for _, e := range ents {
		if !e.Type.IsRegular() || strings.HasSuffix(e.Name, ".md5sums") {
			continue
		}
		p := "var/lib/dpkg/status.d/" + e.Name
		b, err := target.ReadFileLimit(t, p, maxTextDB)
		if err != nil {
			db.Sources[len(db.Sources)-1].Err = err.Error()
			return nil
		}
		for _, pkg := range ParseDpkgStatus(b, target.Abs(p)) {
			if pkg.Status == "" {
				pkg.Status, pkg.Installed = "installed", true
			}
			db.Packages = append(db.Packages, pkg)
		}
	}
	return nil
}

// maxTextDB bounds dpkg's status file and apk's installed database; apk's
// lists every installed file and outgrows target.MaxReadSize on big hosts.
const maxTextDB = 256 << 20

func (db *DB) collectRPM(ctx context.Context, t target.Target) {
	seen := map[[2]uint64]bool{}
	for _, p := range rpmSQLitePaths {
		fi, err := t.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		src := Source{Manager: RPM, File: target.Abs(p)}
		if err != nil {
			src.Err = err.Error()
			db.Sources = append(db.Sources, src)
			continue
		}
		// /var/lib/rpm is often a symlink to /usr/lib/sysimage/rpm.
		if id := [2]uint64{fi.Dev, fi.Ino}; fi.Ino != 0 {
			if seen[id] {
				continue
			}
			seen[id] = true
		}
		pkgs, err := readRPMFile(ctx, t, p, fi.Size)
		if err != nil {
			src.Err = err.Error()
		}
		db.Sources = append(db.Sources, src)
		db.Packages = append(db.Packages, pkgs...)
		return
	}
	for _, p := range rpmLegacyPaths {
		if _, err := t.Stat(p); err == nil {
			db.Sources = append(db.Sources, Source{Manager: RPM, File: target.Abs(p),
				Err: "unsupported rpmdb format (BerkeleyDB or NDB); only the SQLite rpmdb of RHEL 9 / Fedora 33+ is read"})
			return
		}
	}
}

func readRPMFile(ctx context.Context, t target.Target, p string, size int64) ([]Package, error) {
	ra, size, closeDB, err := openReaderAt(t, p, size)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	var wal io.ReaderAt
	var walSize int64
	if fi, err := t.Stat(p + "-wal"); err == nil && fi.Size > 0 {
		w, n, closeWAL, err := openReaderAt(t, p+"-wal", fi.Size)
		if err != nil {
			return nil, err
		}
		defer closeWAL()
		wal, walSize = w, n
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	pkgs, err := ReadRPMDB(ctx, ra, size, wal, walSize, target.Abs(p))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target.Abs(p), err)
	}
	return pkgs, nil
}

// openReaderAt opens a target file for random access, reading it into
// memory (bounded) when the backend cannot seek.
func openReaderAt(t target.Target, p string, size int64) (io.ReaderAt, int64, func(), error) {
	if size > maxRPMDB {
		return nil, 0, nil, fmt.Errorf("%s: %w", target.Abs(p), target.ErrTooLarge)
	}
	rc, err := t.Open(p)
	if err != nil {
		return nil, 0, nil, err
	}
	if r, ok := rc.(io.ReaderAt); ok {
		return r, size, func() { rc.Close() }, nil
	}
	defer rc.Close()
	b, err := target.ReadAllLimit(rc, p, maxRPMDB)
	if err != nil {
		return nil, 0, nil, err
	}
	return bytes.NewReader(b), int64(len(b)), func() {}, nil
}

// ReadRPMDB lists the packages in an rpmdb.sqlite file of the given size,
// with the committed pages of its write-ahead log (nil when there is none)
// overlaid. file is recorded in each Package.
func ReadRPMDB(ctx context.Context, r io.ReaderAt, size int64, wal io.ReaderAt, walSize int64, file string) ([]Package, error) {
	sq, err := openSQLite(r, size)
	if err != nil {
		return nil, err
	}
	if wal != nil {
		if err := sq.attachWAL(wal, walSize); err != nil {
			return nil, err
		}
	}
	root, err := sq.tableRoot("Packages")
	if err != nil {
		return nil, err
	}
	var out []Package
	err = sq.scanTable(root, func(rowid int64, rec []sqlValue) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(rec) < 2 || rec[1].b == nil {
			return fmt.Errorf("%w: Packages row %d has no blob", errSQLite, rowid)
		}
		h, err := ParseRPMHeader(rec[1].b)
		if err != nil {
			return fmt.Errorf("Packages row %d: %w", rowid, err)
		}
		out = append(out, Package{Name: h.Name, Version: h.EVR(), Arch: h.Arch, Source: h.SourceRPM,
			Status: "installed", Installed: true, Manager: RPM, File: file, Record: rowid,
			Supplier: h.Vendor, License: h.License, Depends: rpmRequires(h), Provides: h.Provides})
		return nil
	})
	return out, err
}

// apkNames reads the names of an apk D: or p: line ("so:libc.musl-x86_64.so.1
// busybox=1.36.1-r29 !conflict"): versions dropped, conflicts left out.
func apkNames(v string) []string {
	var out []string
	for _, f := range strings.Fields(v) {
		if strings.HasPrefix(f, "!") {
			continue
		}
		if i := strings.IndexAny(f, "=<>~"); i >= 0 {
			f = f[:i]
		}
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// rpmRequires turns REQUIRENAME into one-name dependency groups, leaving
// out rpm's own feature markers (rpmlib(...)); files and sonames resolve
// only where some package provides them by that name.
func rpmRequires(h RPMHeader) [][]string {
	var out [][]string
	for _, r := range h.Requires {
		if r != "" && !strings.HasPrefix(r, "rpmlib(") {
			out = append(out, []string{r})
		}
	}
	return out
}

// ParseDpkgStatus parses dpkg's status file: RFC 822-style stanzas
// separated by blank lines, with continuation lines starting with a space
// or tab. Line is the line of each stanza's Package field.
func ParseDpkgStatus(b []byte, file string) []Package {
	var out []Package
	eachStanza(b, func(fields map[string]string, lines map[string]int) {
		name := fields["package"]
		if name == "" {
			return
		}
		// A stanza without Status (distroless status.d files) is left with
		// an empty Status for the caller to interpret.
		st := strings.Fields(fields["status"])
		word := "not-installed"
		switch {
		case len(st) == 3:
			word = st[2]
		case len(st) == 0:
			word = ""
		}
		src := fields["source"]
		if s, _, ok := strings.Cut(src, " "); ok {
			src = s
		}
		out = append(out, Package{Name: name, Version: fields["version"], Arch: fields["architecture"], Source: src,
			Status: word, Installed: word != "" && word != "not-installed" && word != "config-files",
			Manager: Dpkg, File: file, Line: lines["package"], Supplier: fields["maintainer"],
			Depends:  append(dpkgRelations(fields["pre-depends"]), dpkgRelations(fields["depends"])...),
			Provides: slices.Concat(dpkgRelations(fields["provides"])...), Conffiles: dpkgConffiles(fields["conffiles"])})
	})
	return out
}

// eachStanza splits deb822 content into stanzas of lower-cased field
// names; continuation lines are appended to their field.
func eachStanza(b []byte, fn func(fields map[string]string, lines map[string]int)) {
	fields, lines := map[string]string{}, map[string]int{}
	last := ""
	flush := func() {
		if len(fields) > 0 {
			fn(fields, lines)
		}
		fields, lines, last = map[string]string{}, map[string]int{}, ""
	}
	n := 0
	for _, raw := range textline.Split(b) {
		n++
		line := raw
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if line[0] == '#' {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last != "" {
				fields[last] += "\n" + strings.TrimSpace(line)
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if _, dup := fields[k]; !dup {
			fields[k] = strings.TrimSpace(v)
			lines[k] = n
		}
		last = k
	}
	flush()
}

// ParseApkInstalled parses apk's installed database: stanzas of "X:value"
// lines separated by blank lines (P name, V version, A arch, o origin,
// m maintainer, L licence, D depends, p provides).
func ParseApkInstalled(b []byte, file string) []Package { return parseApkInstalled(b, file, nil) }

// parseApkInstalled is ParseApkInstalled; other, when set, also gets
// every line (F:, R:, Z:, ...) with the package of its stanza.
func parseApkInstalled(b []byte, file string, other func(p *Package, key byte, v string)) []Package {
	var out []Package
	var cur *Package
	n := 0
	flush := func() {
		if cur != nil && cur.Name != "" {
			out = append(out, *cur)
		}
		cur = nil
	}
	for _, raw := range textline.Split(b) {
		n++
		line := raw
		if line == "" {
			flush()
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			continue
		}
		if cur == nil {
			cur = &Package{Status: "installed", Installed: true, Manager: Apk, File: file}
		}
		v := line[2:]
		switch line[0] {
		case 'P':
			if cur.Name == "" {
				cur.Name, cur.Line = v, n
			}
		case 'V':
			cur.Version = v
		case 'A':
			cur.Arch = v
		case 'o':
			cur.Source = v
		case 'm':
			cur.Supplier = v
		case 'L':
			cur.License = v
		case 'D':
			for _, d := range apkNames(v) {
				cur.Depends = append(cur.Depends, []string{d})
			}
		case 'p':
			cur.Provides = append(cur.Provides, apkNames(v)...)
		}
		if other != nil {
			other(cur, line[0], v)
		}
	}
	flush()
	return out
}

func (db *DB) index() {
	db.byName = map[string][]int{}
	for i, p := range db.Packages {
		db.byName[p.Name] = append(db.byName[p.Name], i)
	}
}

// Found reports whether any package database was found (readable or not).
func (db *DB) Found() bool { return db != nil && len(db.Sources) > 0 }

// Err returns the first database read error, if any.
func (db *DB) Err() error {
	if db == nil {
		return nil
	}
	for _, s := range db.Sources {
		if s.Err != "" {
			return fmt.Errorf("%s database %s: %s", s.Manager, s.File, s.Err)
		}
	}
	return nil
}

// Files lists the database files, for evidence.
func (db *DB) Files() []string {
	var out []string
	for _, s := range db.Sources {
		out = append(out, s.File)
	}
	return out
}

// Match returns the installed packages whose name matches pattern (a
// path.Match glob, or a plain name), sorted by name.
func (db *DB) Match(pattern string) []Package {
	if db == nil {
		return nil
	}
	var out []Package
	if !strings.ContainsAny(pattern, "*?[") {
		for _, i := range db.byName[pattern] {
			if db.Packages[i].Installed {
				out = append(out, db.Packages[i])
			}
		}
		return out
	}
	for _, p := range db.Packages {
		if ok, _ := path.Match(pattern, p.Name); ok && p.Installed {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Installed reports whether a package named name is installed.
func (db *DB) Installed(name string) bool { return len(db.Match(name)) > 0 }
