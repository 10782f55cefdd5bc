// Package sbom builds a software bill of materials of a target from what
// cradle's collectors already read — today the package databases of
// internal/collect/packages (dpkg, apk, rpm) — and writes it in standard
// formats (CycloneDX 1.6 JSON). An SBOM carries no vulnerability data
// (BSI TR-03183-2); matching is a separate step.
package sbom

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/mail"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/collect/catalogers"
	"github.com/cradle-cra/cradle/internal/collect/osrelease"
	"github.com/cradle-cra/cradle/internal/collect/packages"
	"github.com/cradle-cra/cradle/internal/target"
)

// Component types (CycloneDX's classification).
const (
	TypeLibrary         = "library"
	TypeOperatingSystem = "operating-system"
	TypeContainer       = "container"
)

// Component is one piece of software found on the target.
type Component struct {
	Ref      string // unique within the BOM: the purl, suffixed on collision
	Type     string
	Name     string
	Version  string
	PURL     string
	Supplier Supplier
	// License is the licence text the package database states (apk, rpm);
	// empty where the database has none (dpkg: machine-readable copyright
	// files are not read yet).
	License string
	// Manager and Found say where the component was found: the package
	// manager and its database file in the target.
	Manager string
	Found   string
	// DependsOn lists the Refs of the components this one needs.
	DependsOn []string
	// Properties are further facts (catalogers: "cradle:cataloger",
	// "cradle:golang:build:GOOS").
	Properties []Property
	// Hashes are digests of the component's file (file components).
	Hashes []Hash
	Arch   string // the package's architecture, where it has one
	// Files are the regular files the package ships, with their
	// SHA-512; SHA512 is the component's hash over them
	// (ManifestSHA512). Both empty when files were not hashed.
	Files  []File
	SHA512 string
	// Executable is TR-03183-2's executable property: "executable" when
	// any file shipped has an execute bit, else "non-executable"; empty
	// when unknown.
	Executable string
	// Unavailable maps a TR-03183-2 field (FieldHash, ...) the target
	// cannot supply for this component to the reason.
	Unavailable map[string]string
}

func (c *Component) unavailable(field, why string) {
	if c.Unavailable == nil {
		c.Unavailable = map[string]string{}
	}
	c.Unavailable[field] = why
}

// Supplier is who ships a component, as the database names it
// ("Debian X Maintainers <x@lists.debian.org>").
type Supplier struct{ Name, Email string }

// Subject describes the target the BOM is about.
type Subject struct {
	Name    string // the target as named to cradle: "/", a root path, an image file
	Type    string // TypeOperatingSystem or TypeContainer
	OS      string // os-release PRETTY_NAME, or ID
	Version string // os-release VERSION_ID
}

// BOM is the bill of materials of one target.
type BOM struct {
	Subject    Subject
	Components []Component
	// Sources lists the databases read ("dpkg /var/lib/dpkg/status"),
	// Gaps what could not be read and why.
	Sources []string
	Gaps    []string
	// Excluded lists the other systems' trees the catalogers did not
	// enter (container stores, nested root filesystems), with why.
	Excluded []string
}

// Options tune Build.
type Options struct {
	// NoFileHashes skips hashing the files packages ship (faster; the
	// SBOM then lacks TR-03183-2's SHA-512 and says so).
	NoFileHashes bool
	// Workers bounds the parallel hashing; <= 0 picks a default.
	Workers int
	// Exclude names root-relative trees the catalogers' walk does not
	// enter (catalogers.Options.Exclude); the package databases are
	// read wherever they are.
	Exclude []string
}

// Build catalogues target t. name is how the target was named (the
// target spec's path or "host"); image says it is a container image.
// The files of every package are hashed (SHA-512).
func Build(ctx context.Context, t target.Target, name string, image bool) (*BOM, error) {
	return BuildWith(ctx, t, name, image, Options{})
}

// BuildWith is Build with options.
func BuildWith(ctx context.Context, t target.Target, name string, image bool, o Options) (*BOM, error) {
	db, err := packages.Collect(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("package databases: %w", err)
	}
	osr, err := osrelease.Collect(ctx, t)
	if err != nil {
		return nil, fmt.Errorf("os-release: %w", err)
	}
	b := &BOM{Subject: Subject{Name: name, Type: TypeOperatingSystem, OS: osr.PrettyName, Version: osr.VersionID}}
	if image {
		b.Subject.Type = TypeContainer
	}
	if b.Subject.OS == "" {
		b.Subject.OS = osr.ID
	}
	for _, s := range db.Sources {
		if s.Err != "" {
			b.Gaps = append(b.Gaps, fmt.Sprintf("%s %s: %s", s.Manager, s.File, s.Err))
			continue
		}
		b.Sources = append(b.Sources, s.Manager+" "+s.File)
	}
	debianLicenses(t, db.Packages)
	b.Components = FromPackages(db.Packages)
	for i := range b.Components {
		c := &b.Components[i]
		if c.License == "" {
			why := "the package database states no licence"
			if c.Manager == packages.Dpkg {
				why = "no machine-readable copyright file (/usr/share/doc/PACKAGE/copyright): cradle does not guess from prose"
			}
			c.unavailable(FieldLicense, why)
		}
		if c.Supplier.Email == "" {
			c.unavailable(FieldCreator, "the package database names no maintainer e-mail address")
		}
		// An installed package is files on disk, not one deployable
		// file: its archive's name is not recorded.
		c.unavailable(FieldFilename, noSingleFile)
	}
	if o.NoFileHashes {
		for i := range b.Components {
			b.Components[i].noFiles("file hashing was turned off (--no-file-hashes)")
		}
	} else if err := hashFiles(ctx, t, b.Components, o.Workers); err != nil {
		return nil, err
	}
	// The catalogers' components come after the package databases' and
	// are not hashed by hashFiles: file components carry their own.
	if err := b.addCatalog(ctx, t, catalogers.Options{Exclude: o.Exclude}); err != nil {
		return nil, err
	}
	if !o.NoFileHashes {
		if err := hashLangFiles(ctx, t, b.Components, o.Workers); err != nil {
			return nil, err
		}
	}
	packagedMetadata(b.Components)
	return b, nil
}

// noSingleFile is why an installed package has no filename.
const noSingleFile = "an installed package has no single file; the package archive's name is not recorded"

// copyrightHead is how much of a copyright file is read: the header and
// the "Files: *" paragraph come first, and some files (boost's) are
// megabytes of per-file paragraphs.
const copyrightHead = 64 << 10

// debianLicenses fills the licence of installed dpkg packages from their
// machine-readable copyright files; a missing, unreadable or free-form one
// leaves it empty.
func debianLicenses(t target.Target, pkgs []packages.Package) {
	for i, p := range pkgs {
		// A name from a hostile database must not walk the doc tree.
		if p.Manager != packages.Dpkg || !p.Installed || p.License != "" || strings.Contains(p.Name, "/") || p.Name == ".." {
			continue
		}
		if b := readHead(t, packages.DebianCopyrightPath(p.Name)); b != nil {
			pkgs[i].License = packages.DebianLicense(b)
		}
	}
}

// readHead reads the complete paragraphs within the first copyrightHead
// bytes of a file (nil when it cannot be read).
func readHead(t target.Target, name string) []byte {
	rc, err := t.Open(name)
	if err != nil {
		return nil
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, copyrightHead))
	if err != nil {
		return nil
	}
	if len(b) == copyrightHead {
		if i := bytes.LastIndex(b, []byte("\n\n")); i >= 0 {
			b = b[:i+1]
		}
	}
	return b
}

// FromPackages turns the installed packages into components, sorted by
// manager, name, version and architecture, with dpkg's dependencies
// resolved to installed packages (the first installed alternative of each
// group; a virtual name to the first package that Provides it).
func FromPackages(pkgs []packages.Package) []Component {
	var inst []packages.Package
	for _, p := range pkgs {
		if p.Installed {
			inst = append(inst, p)
		}
	}
	sort.SliceStable(inst, func(i, j int) bool {
		a, b := inst[i], inst[j]
		if a.Manager != b.Manager {
			return a.Manager < b.Manager
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Arch < b.Arch
	})
	out := make([]Component, len(inst))
	used := map[string]int{}
	byName := map[[2]string]string{} // manager, name → first ref
	for i, p := range inst {
		ref := p.PURL
		if ref == "" {
			ref = p.Manager + ":" + p.Name + "@" + p.Version
		}
		if n := used[ref]; n > 0 {
			used[ref]++
			ref = fmt.Sprintf("%s#%d", ref, n)
		} else {
			used[ref] = 1
		}
		out[i] = Component{Ref: ref, Type: TypeLibrary, Name: p.Name, Version: p.Version, PURL: p.PURL,
			Supplier: supplier(p.Supplier), License: p.License, Manager: p.Manager, Found: p.File, Arch: p.Arch}
		if p.Source != "" && p.Source != p.Name {
			// Distribution advisories are filed under the source package;
			// "cradle vuln scan SBOM" reads it back.
			out[i].Properties = append(out[i].Properties, Property{Name: PropSource, Value: p.Source})
		}
		if _, ok := byName[[2]string{p.Manager, p.Name}]; !ok {
			byName[[2]string{p.Manager, p.Name}] = ref
		}
	}
	// A virtual name (dpkg Provides) resolves to its first provider,
	// unless a real package has that name.
	for i, p := range inst {
		for _, v := range p.Provides {
			if _, ok := byName[[2]string{p.Manager, v}]; !ok {
				byName[[2]string{p.Manager, v}] = out[i].Ref
			}
		}
	}
	for i, p := range inst {
		seen := map[string]bool{}
		for _, group := range p.Depends {
			for _, name := range group {
				if ref, ok := byName[[2]string{p.Manager, name}]; ok {
					if !seen[ref] && ref != out[i].Ref {
						seen[ref] = true
						out[i].DependsOn = append(out[i].DependsOn, ref)
					}
					break
				}
			}
		}
		sort.Strings(out[i].DependsOn)
	}
	return out
}

// supplier splits "Name <email>" as Maintainer fields write it.
func supplier(s string) Supplier {
	if s == "" {
		return Supplier{}
	}
	if a, err := mail.ParseAddress(s); err == nil {
		if a.Name == "" {
			return Supplier{Name: a.Address, Email: a.Address}
		}
		return Supplier{Name: a.Name, Email: a.Address}
	}
	return Supplier{Name: s}
}
