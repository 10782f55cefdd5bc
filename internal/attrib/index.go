package attrib

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/packages"
	"github.com/cradle-cra/cradle/internal/target"
)

// Digest algorithms of Owner.Algo.
const (
	AlgoMD5    = "md5"
	AlgoSHA256 = "sha256"
)

// Owner is a package that ships a file, and the digest it records.
type Owner struct {
	Package, Version, Arch string
	Algo, Digest           string // Digest "" when the database records none
	Conffile               bool
	// Link: for a symlink the digest is of the link text (apk).
	Link bool
}

// Ref names the package for reports: "name version" (with ":arch").
func (o Owner) Ref() string {
	n := o.Package
	if o.Arch != "" && o.Arch != "all" && o.Arch != "noarch" {
		n += ":" + o.Arch
	}
	return n + " " + o.Version
}

// Diversion is a dpkg-divert: the file a package ships at a path is
// installed at To instead; By is the diverting package ("" for a local
// diversion).
type Diversion struct{ To, By string }

// Index maps package-shipped files to their owners.
type Index struct {
	Manager  string // "dpkg", "apk" or "rpm"
	Files    map[string][]Owner
	Packages int
	// Unknown are installed packages that ship files but record no
	// digests for them (no md5sums file).
	Unknown    []string
	Diversions map[string]Diversion
	Events     []DpkgEvent
	// Notes say what could not be read (the index is then partial).
	Notes []string
}

const dpkgDir = "var/lib/dpkg"

// ErrNoPackageDB is returned when the target has no package database
// this package reads.
var ErrNoPackageDB = errors.New("no dpkg database (/var/lib/dpkg/status), no apk database (/lib/apk/db/installed) and no SQLite rpm database")

// LoadDpkg indexes the installed packages' md5sums and conffiles, the
// diversions and the dpkg log of t.
func LoadDpkg(ctx context.Context, t target.Target) (*Index, error) { return loadDpkg(ctx, t, nil) }

// loadDpkg is LoadDpkg holding only the files in only (all when nil).
func loadDpkg(ctx context.Context, t target.Target, only Paths) (*Index, error) {
	b, err := target.ReadFileLimit(t, dpkgDir+"/status", MaxStatus)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoPackageDB
	}
	if err != nil {
		return nil, fmt.Errorf("dpkg status: %w", err)
	}
	pkgs := packages.ParseDpkgStatus(b, "/var/lib/dpkg/status")
	x := &Index{Manager: "dpkg", Files: map[string][]Owner{}, Diversions: map[string]Diversion{}}
	n := 0
	for _, p := range pkgs {
		if !p.Installed {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		x.Packages++
		own := Owner{Package: p.Name, Version: p.Version, Arch: p.Arch}
		for c, sum := range p.Conffiles {
			if only != nil && !only[c] {
				continue
			}
			if n++; n > maxFiles {
				return nil, fmt.Errorf("dpkg: more than %d files: %w", maxFiles, ErrTooManyFiles)
			}
			o := own
			o.Algo, o.Digest, o.Conffile = AlgoMD5, sum, true
			x.Files[c] = append(x.Files[c], o)
		}
		sums, found, err := readMD5Sums(t, p, only)
		switch {
		case err != nil:
			x.Notes = append(x.Notes, err.Error())
			x.Unknown = append(x.Unknown, p.Name)
			continue
		case !found:
			if shipsFiles(t, p) {
				x.Unknown = append(x.Unknown, p.Name)
			}
			continue
		}
		if list, found, err := readList(t, p, only); err != nil {
			x.Notes = append(x.Notes, err.Error())
		} else if found {
			sums, _ = owned(sums, list)
		}
		for _, s := range sums {
			if n++; n > maxFiles {
				return nil, fmt.Errorf("dpkg: more than %d files: %w", maxFiles, ErrTooManyFiles)
			}
			o := own
			o.Algo, o.Digest = AlgoMD5, s.MD5
			x.Files[s.Path] = append(x.Files[s.Path], o)
		}
	}
	sort.Strings(x.Unknown)
	if b, err := target.ReadFileLimit(t, dpkgDir+"/diversions", MaxStatus); err == nil {
		x.Diversions = ParseDiversions(b)
	} else if !errors.Is(err, fs.ErrNotExist) {
		x.Notes = append(x.Notes, fmt.Sprintf("dpkg diversions: %v", err))
	}
	if b, err := target.ReadFileLimit(t, "var/log/dpkg.log", MaxDpkgLog); err == nil {
		x.Events, _ = ParseDpkgLog(b)
	} else if !errors.Is(err, fs.ErrNotExist) {
		x.Notes = append(x.Notes, fmt.Sprintf("dpkg log: %v", err))
	}
	return x, nil
}

// readMD5Sums reads the md5sums file of p (found false when it has none).
func readMD5Sums(t target.Target, p packages.Package, only Paths) (sums []Sum, found bool, err error) {
	for _, name := range infoNames(p) {
		b, err := target.ReadFileLimit(t, dpkgDir+"/info/"+name+".md5sums", MaxMD5Sums)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, true, fmt.Errorf("md5sums of %s: %w", p.Name, err)
		}
		sums, _, err = parseMD5Sums(b, only)
		if err != nil {
			return nil, true, fmt.Errorf("md5sums of %s: %w", p.Name, err)
		}
		return sums, true, nil
	}
	return nil, false, nil
}

// infoNames are the names dpkg gives a package's info files: with the
// architecture for Multi-Arch: same packages, without otherwise.
func infoNames(p packages.Package) []string {
	if strings.ContainsAny(p.Name, "/\x00") || p.Name == "." || p.Name == ".." {
		return nil
	}
	if p.Arch != "" && p.Arch != "all" {
		return []string{p.Name + ":" + p.Arch, p.Name}
	}
	return []string{p.Name}
}

// shipsFiles says whether a package without md5sums lists anything but
// directories in its .list (an empty metapackage has nothing to verify).
func shipsFiles(t target.Target, p packages.Package) bool {
	for _, name := range infoNames(p) {
		b, err := target.ReadFileLimit(t, dpkgDir+"/info/"+name+".list", MaxMD5Sums)
		if err != nil {
			continue
		}
		var paths []string
		_ = eachLine(b, func(l []byte) {
			if s := strings.TrimSpace(string(l)); s != "" && s != "/." {
				paths = append(paths, s)
			}
		})
		slices.Sort(paths)
		for i, q := range paths {
			// A leaf (no later path below it) that is not a directory.
			if i+1 < len(paths) && strings.HasPrefix(paths[i+1], q+"/") {
				continue
			}
			if fi, err := t.Lstat(q); err == nil && !fi.Mode.IsDir() {
				return true
			}
		}
		return false
	}
	return true // no .list either: nothing is known about it
}

// ParseDiversions parses /var/lib/dpkg/diversions: three lines per
// diversion (path, diverted-to path, package or ":" for local).
func ParseDiversions(b []byte) map[string]Diversion {
	var lines []string
	_ = eachLine(b, func(l []byte) { lines = append(lines, strings.TrimRight(string(l), "\r")) })
	out := map[string]Diversion{}
	for i := 0; i+2 < len(lines); i += 3 {
		from, to, by := lines[i], lines[i+1], lines[i+2]
		if !strings.HasPrefix(from, "/") || !strings.HasPrefix(to, "/") {
			continue
		}
		if by == ":" {
			by = ""
		}
		out[path.Clean(from)] = Diversion{To: path.Clean(to), By: by}
	}
	return out
}

// Owners returns the packages that ship p, under p itself or, on a
// merged-/usr system, under its /usr alias (/bin/sh is /usr/bin/sh).
func (x *Index) Owners(p string) []Owner {
	if x == nil {
		return nil
	}
	if o := x.Files[p]; len(o) > 0 {
		return o
	}
	return x.Files[usrAlias(p)]
}

var usrDirs = []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"}

func usrAlias(p string) string {
	for _, d := range usrDirs {
		if strings.HasPrefix(p, "/usr/"+d+"/") {
			return strings.TrimPrefix(p, "/usr")
		}
		if strings.HasPrefix(p, "/"+d+"/") {
			return "/usr" + p
		}
	}
	return ""
}

// Location is where the file o ships at p is installed: p, or where a
// diversion by another package moved it.
func (x *Index) Location(p string, o Owner) string {
	if d, ok := x.Diversions[p]; ok && d.By != o.Package {
		return d.To
	}
	return p
}
