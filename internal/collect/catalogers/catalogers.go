// Package catalogers finds the software a target carries beyond its
// package databases: Go binaries and modules, npm, Python, Rust and Java
// packages. Each cataloger is a small plug-in behind one interface, listed
// in an explicit registry; one walk of the target hands every candidate
// file — chosen by name, or by executable bit and magic for binaries — to
// the catalogers that claim it. Every read goes through internal/target
// (root-relative paths, symlinks confined to the root) and is bounded.
package catalogers

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/cradle-cra/cradle/internal/collect/fswalk"
	"github.com/cradle-cra/cradle/internal/target"
)

// Ecosystems, as package URL types name them.
const (
	Golang = "golang"
	Npm    = "npm"
	PyPI   = "pypi"
	Cargo  = "cargo"
	Maven  = "maven"
)

// Component types (CycloneDX's names).
const (
	TypeLibrary     = "library"
	TypeApplication = "application"
)

// Package is one piece of software a cataloger found.
type Package struct {
	Ecosystem string
	Cataloger string // the cataloger's name
	Type      string // TypeLibrary, TypeApplication or TypeFile
	Name      string
	Version   string
	PURL      string
	License   string // as the source states it (often an SPDX expression)
	// Supplier is the author or maintainer the metadata names
	// ("Name <email>"), where it names one.
	Supplier string
	// Location is where it was found: the absolute path in the target of
	// the file read (a binary, a lockfile, a metadata file).
	Location string
	// Key identifies the package among those of its Scope; DependsOn
	// lists the Keys of the packages it needs there.
	Key       string
	DependsOn []string
	// Scope is where Keys resolve: empty for the Location itself (a
	// lockfile, a binary); a directory for installed metadata spread over
	// many files (site-packages, node_modules).
	Scope string
	// Properties are further facts ("golang:goos" = "linux").
	Properties []Property
	// Hashes are digests of the file itself (TypeFile), or of the Java
	// archive that names the package as its own.
	Hashes []Hash
	// Executable says the file (or hashed archive) has an execute bit.
	Executable bool
}

// Property is one name/value fact about a package.
type Property struct{ Name, Value string }

// Result is what a catalogue run found.
type Result struct {
	Packages []Package
	// Sources lists the files that yielded packages, per cataloger
	// ("go-binary /usr/bin/x"), bounded; Gaps what could not be read.
	Sources []string
	Gaps    []string
	// Candidates is how many files were handed to catalogers.
	Candidates int
	// Excluded lists the other systems' trees the walk did not enter
	// ("/var/lib/docker: container store: Docker"), bounded.
	Excluded []string
}

// Cataloger is one plug-in.
type Cataloger interface {
	// Name is short and stable ("go-binary", "npm-lock").
	Name() string
	// Match reports from the walk entry alone (path, mode, size) whether
	// the file is a candidate; it must not read anything.
	Match(fi target.FileInfo) bool
	// Catalog reads the candidate and returns what it holds; a file that
	// turns out not to be one (no build info) yields nothing and no error.
	Catalog(ctx context.Context, f *File) ([]Package, error)
}

// registry lists the catalogers in the order their results are reported,
// fresh for each run (a cataloger may keep per-run state).
func registry() []Cataloger {
	return []Cataloger{
		goBinary{},
		goMod{},
		npmLock{},
		npmInstalled{},
		yarnLock,
		pnpmLock,
		pyInstalled{},
		pyRequirements{},
		poetryLock,
		uvLock{},
		pipfileLock,
		pySetup,
		pdmLock,
		ghActions{},
		cargoLock,
		cargoAuditable{},
		javaArchive{},
		newUnpackagedFiles(),
		newToolchains(),
	}
}

// Registry returns the catalogers, in order.
func Registry() []Cataloger { return registry() }

// Bounds of a catalogue run.
const (
	// MaxMetaSize bounds a lockfile or metadata file read whole.
	MaxMetaSize = 32 << 20
	// MaxBinarySize bounds an executable or archive opened.
	MaxBinarySize = 1 << 30
	// MaxDepth bounds how deep below the root the walk goes.
	MaxDepth = 48
	// MaxCandidates bounds the files handed to catalogers per run.
	MaxCandidates = 200000
	// MaxPackagesPerFile bounds what one file may contribute.
	MaxPackagesPerFile = 50000
	maxGaps            = 50
	maxExcluded        = 100
	maxSources         = 5000
)

// File is a candidate handed to a cataloger.
type File struct {
	Info target.FileInfo
	t    target.Target

	opened bool
	ra     ReaderAtCloser
	size   int64
	err    error

	elfDone bool
	elf     *elf.File
}

// ELF parses the file's ELF headers once for every cataloger that asks;
// nil when it is not ELF.
func (f *File) ELF() *elf.File {
	if f.elfDone {
		return f.elf
	}
	f.elfDone = true
	ra, _, err := f.Open()
	if err != nil || execFormat(ra) != "elf" {
		return nil
	}
	f.elf, _ = elf.NewFile(ra)
	return f.elf
}

// Path is the candidate's absolute path in the target.
func (f *File) Path() string { return target.Abs(f.Info.Path) }

// ReadAll reads the whole file, bounded by MaxMetaSize.
func (f *File) ReadAll() ([]byte, error) {
	return target.ReadFileLimit(f.t, f.Info.Path, MaxMetaSize)
}

// Open opens the file for random access, once per candidate however
// many catalogers ask. A target whose files are not seekable (an image
// layer) has the file read into memory, bounded by MaxBinarySize.
func (f *File) Open() (io.ReaderAt, int64, error) {
	if !f.opened {
		f.opened = true
		f.ra, f.size, f.err = f.open()
	}
	if f.err != nil {
		return nil, 0, f.err
	}
	return f.ra, f.size, nil
}

func (f *File) close() {
	if f.ra != nil {
		f.ra.Close()
	}
}

func (f *File) open() (ReaderAtCloser, int64, error) {
	rc, err := f.t.Open(f.Info.Path)
	if err != nil {
		return nil, 0, err
	}
	// A directory target's *os.File and an image layer's section reader
	// both read in place.
	if ra, ok := rc.(io.ReaderAt); ok {
		size := f.Info.Size
		switch x := rc.(type) {
		case interface{ Size() int64 }:
			size = x.Size()
		case interface{ Stat() (fs.FileInfo, error) }:
			st, err := x.Stat()
			if err != nil {
				rc.Close()
				return nil, 0, err
			}
			size = st.Size()
		}
		if size > MaxBinarySize {
			rc.Close()
			return nil, 0, &fs.PathError{Op: "open", Path: f.Path(), Err: target.ErrTooLarge}
		}
		return struct {
			io.ReaderAt
			io.Closer
		}{ra, rc}, size, nil
	}
	defer rc.Close()
	b, err := target.ReadAllLimit(rc, f.Info.Path, MaxBinarySize)
	if err != nil {
		return nil, 0, err
	}
	return nopCloser{bytes.NewReader(b)}, int64(len(b)), nil
}

// ReaderAtCloser is an open candidate.
type ReaderAtCloser interface {
	io.ReaderAt
	io.Closer
}

type nopCloser struct{ io.ReaderAt }

func (nopCloser) Close() error { return nil }

// Options shape a run.
type Options struct {
	// Only names the catalogers to run (all when empty).
	Only []string
	// File, when set, catalogues that one root-relative file with every
	// cataloger that matches it by name or content, without a walk.
	File string
	// Workers bounds the parallel reads; <= 0 picks 2.
	Workers int
	// Exclude names root-relative directories (or files) the walk does
	// not enter, as a user's --exclude: caches and other trees that are
	// not the target's installed software. Each is listed in
	// Result.Excluded.
	Exclude []string
}

// Collect walks t once and runs the catalogers on their candidates.
// Candidates are read by a few workers while the walk goes on; the
// result is in path order, so it does not depend on scheduling.
func Collect(ctx context.Context, t target.Target, o Options) (*Result, error) {
	cats := registry()
	if len(o.Only) > 0 {
		all := cats
		cats = nil
		for _, c := range all {
			if slices.Contains(o.Only, c.Name()) {
				cats = append(cats, c)
			}
		}
	}
	workers := o.Workers
	if workers <= 0 {
		workers = 2
	}
	var (
		mu       sync.Mutex
		outs     []fileOut
		gaps     []string
		excluded []string
		n        int
		over     bool
		wg       sync.WaitGroup
		queue    = make(chan candidate, 64)
	)
	addGap := func(s string) {
		if len(gaps) < maxGaps {
			gaps = append(gaps, s)
		}
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range queue {
				if ctx.Err() != nil {
					continue
				}
				fo := catalogFile(ctx, t, c)
				if len(fo.pkgs) > 0 || len(fo.gaps) > 0 {
					mu.Lock()
					outs = append(outs, fo)
					mu.Unlock()
				}
			}
		}()
	}
	var werr error
	if o.File != "" {
		werr = func() error {
			fi, err := t.Stat(o.File)
			if err != nil {
				return err
			}
			if !fi.Mode.IsRegular() {
				return fmt.Errorf("%s: not a regular file", target.Abs(o.File))
			}
			fi.Path = target.Clean(o.File)
			var which []Cataloger
			for _, c := range cats {
				// A single file named by the user is tried as a binary
				// wherever it lives and whatever its mode.
				if c.Match(fi) || isBinaryCataloger(c) {
					which = append(which, c)
				}
			}
			n = 1
			queue <- candidate{fi: fi, cats: which}
			return nil
		}()
	} else {
		excludes := map[string]bool{}
		for _, e := range o.Exclude {
			if c := target.Clean(e); c != "" {
				excludes[c] = true
			}
		}
		opts := target.WalkOptions{
			Skip:      fswalk.Skip,
			LocalOnly: true,
			OnError: func(p string, err error) error {
				mu.Lock()
				addGap(fmt.Sprintf("walk %s: %v", target.Abs(p), err))
				mu.Unlock()
				return nil
			},
			Prune: func(dir string, probe target.DirProbe) string {
				why := reasonExcluded
				if !excludes[dir] {
					why = prune(dir, probe)
				}
				if why != "" && otherSystem(why) {
					mu.Lock()
					if len(excluded) < maxExcluded {
						excluded = append(excluded, target.Abs(dir)+": "+why)
					}
					mu.Unlock()
				}
				return why
			},
		}
		werr = t.Walk(ctx, opts, func(fi target.FileInfo) error {
			if !fi.Mode.IsRegular() || excludes[fi.Path] {
				return nil
			}
			var which []Cataloger
			for _, c := range cats {
				if c.Match(fi) {
					which = append(which, c)
				}
			}
			if which == nil {
				return nil
			}
			mu.Lock()
			if n >= MaxCandidates {
				over = true
				mu.Unlock()
				return nil
			}
			n++
			mu.Unlock()
			select {
			case queue <- candidate{fi: fi, cats: which}:
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		})
	}
	close(queue)
	wg.Wait()
	if werr != nil {
		return nil, fmt.Errorf("catalogue %s: %w", t.Name(), werr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if over {
		addGap(fmt.Sprintf("more than %d candidate files: the rest were not catalogued", MaxCandidates))
	}
	sort.Slice(outs, func(i, j int) bool { return outs[i].path < outs[j].path })
	sort.Strings(excluded)
	r := &Result{Candidates: n, Gaps: gaps, Excluded: excluded}
	for _, o := range outs {
		r.Packages = append(r.Packages, o.pkgs...)
		for _, s := range o.sources {
			if len(r.Sources) < maxSources {
				r.Sources = append(r.Sources, s)
			}
		}
		for _, g := range o.gaps {
			if len(r.Gaps) < maxGaps {
				r.Gaps = append(r.Gaps, g)
			}
		}
	}
	return r, nil
}

type candidate struct {
	fi   target.FileInfo
	cats []Cataloger
}

// fileOut is what one candidate gave.
type fileOut struct {
	path    string
	pkgs    []Package
	sources []string
	gaps    []string
}

// catalogFile runs the candidate's catalogers on it, opening it once.
func catalogFile(ctx context.Context, t target.Target, c candidate) fileOut {
	f := &File{Info: c.fi, t: t}
	defer f.close()
	fo := fileOut{path: c.fi.Path}
	for _, cat := range c.cats {
		pkgs, err := catalogOne(ctx, cat, f)
		if err != nil {
			fo.gaps = append(fo.gaps, fmt.Sprintf("%s %s: %v", cat.Name(), f.Path(), err))
			continue
		}
		if len(pkgs) == 0 {
			continue
		}
		if len(pkgs) > MaxPackagesPerFile {
			pkgs = pkgs[:MaxPackagesPerFile]
			fo.gaps = append(fo.gaps, fmt.Sprintf("%s %s: more than %d packages, the rest left out", cat.Name(), f.Path(), MaxPackagesPerFile))
		}
		for k := range pkgs {
			pkgs[k].Cataloger = cat.Name()
			if pkgs[k].Location == "" {
				pkgs[k].Location = f.Path()
			}
		}
		fo.pkgs = append(fo.pkgs, pkgs...)
		fo.sources = append(fo.sources, cat.Name()+" "+f.Path())
	}
	return fo
}

// catalogOne runs one cataloger, turning a panic in a parser of hostile
// input into an error rather than a crash.
func catalogOne(ctx context.Context, c Cataloger, f *File) (pkgs []Package, err error) {
	defer func() {
		if r := recover(); r != nil {
			pkgs, err = nil, fmt.Errorf("parser failed: %v", r)
		}
	}()
	pkgs, err = c.Catalog(ctx, f)
	if errors.Is(err, errNotMine) {
		return nil, nil
	}
	return pkgs, err
}

// errNotMine says a candidate is not what the cataloger reads (a shell
// script with the executable bit).
var errNotMine = errors.New("not this cataloger's file")

const (
	reasonVCS   = "version control store"
	reasonDepth = "deeper than the catalogue's depth bound"
	// reasonExcluded is a tree the user left out (Options.Exclude).
	reasonExcluded = "excluded (--exclude)"
)

// prune keeps the walk out of other systems' trees (as cradle scan's
// walk does), version-control stores and anything deeper than MaxDepth.
func prune(dir string, probe target.DirProbe) string {
	base := path.Base(dir)
	if base == ".git" || base == ".hg" || base == ".svn" {
		return reasonVCS
	}
	if strings.Count(dir, "/") >= MaxDepth {
		return reasonDepth
	}
	for _, s := range fswalk.Stores {
		if s.Path == dir {
			return s.Reason
		}
		if strings.Contains(s.Path, "*") {
			if ok, _ := path.Match(s.Path, dir); ok {
				return s.Reason
			}
		}
	}
	return fswalk.OwnRoot(probe)
}

// otherSystem tells prune's reasons for another system's tree (a
// container store, a nested root filesystem) from the walk's own bounds.
func otherSystem(why string) bool {
	return why != reasonVCS && why != reasonDepth
}

func isBinaryCataloger(c Cataloger) bool {
	switch c.(type) {
	case goBinary, cargoAuditable:
		return true
	}
	return false
}

// wholeFile catalogs the files of one base name whose packages come from
// their whole content (lockfiles and manifests read in one piece,
// bounded by File.ReadAll).
type wholeFile struct {
	name  string
	base  string
	parse func([]byte) ([]Package, error)
}

func (c wholeFile) Name() string { return c.name }

func (c wholeFile) Match(fi target.FileInfo) bool { return path.Base(fi.Path) == c.base }

func (c wholeFile) Catalog(_ context.Context, f *File) ([]Package, error) {
	b, err := f.ReadAll()
	if err != nil {
		return nil, err
	}
	return c.parse(b)
}
