package sbom

import (
	"context"
	"fmt"
	"sort"

	"github.com/cradle-cra/cradle/internal/collect/catalogers"
	"github.com/cradle-cra/cradle/internal/target"
)

// Property is one name/value fact about a component.
type Property struct{ Name, Value string }

// PropSource is the property naming a distribution package's source
// package as its database writes it (dpkg "glibc (2.36-9)", apk origin,
// rpm source RPM).
const PropSource = "cradle:package:source"

// Hash is a digest of a component's file ("SHA-256", "SHA-512").
type Hash struct{ Alg, Value string }

// More component types: a program (a Go binary's main module, a
// project) and a file no package owns.
const (
	TypeApplication = "application"
	TypeFile        = "file"
)

// addCatalog runs the language catalogers (internal/collect/catalogers)
// over t and appends what they found after the package-database
// components.
func (b *BOM) addCatalog(ctx context.Context, t target.Target, o catalogers.Options) error {
	r, err := catalogers.Collect(ctx, t, o)
	if err != nil {
		return fmt.Errorf("catalogers: %w", err)
	}
	b.Components = AppendCatalog(b.Components, r.Packages)
	files := map[string]map[string]bool{}
	for _, p := range r.Packages {
		if files[p.Cataloger] == nil {
			files[p.Cataloger] = map[string]bool{}
		}
		files[p.Cataloger][p.Location] = true
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.Sources = append(b.Sources, fmt.Sprintf("%s (%d files)", n, len(files[n])))
	}
	b.Gaps = append(b.Gaps, r.Gaps...)
	b.Excluded = append(b.Excluded, r.Excluded...)
	return nil
}

// BuildFile catalogues the single file name (root-relative) of t — a Go
// or Rust binary, a lockfile, a jar — with no package databases read.
func BuildFile(ctx context.Context, t target.Target, name, file string) (*BOM, error) {
	b := &BOM{Subject: Subject{Name: name, Type: TypeApplication}}
	if err := b.addCatalog(ctx, t, catalogers.Options{File: file}); err != nil {
		return nil, err
	}
	return b, nil
}

// AppendCatalog turns catalogued packages into components after comps:
// refs are package URLs made unique, and each package's dependencies
// (keys within its scope: the file it was found in, or the directory of
// installed metadata) become refs.
func AppendCatalog(comps []Component, pkgs []catalogers.Package) []Component {
	used := make(map[string]bool, len(comps)+len(pkgs))
	for _, c := range comps {
		used[c.Ref] = true
	}
	type loc struct{ file, key string }
	refs := make(map[loc]string, len(pkgs))
	start := len(comps)
	for _, p := range pkgs {
		ref := p.PURL
		switch {
		case p.Type == catalogers.TypeFile:
			ref = "file:" + p.Location
		case ref == "":
			ref = p.Ecosystem + ":" + p.Name + "@" + p.Version
		}
		if used[ref] {
			for n := 1; ; n++ {
				if r := fmt.Sprintf("%s#%d", ref, n); !used[r] {
					ref = r
					break
				}
			}
		}
		used[ref] = true
		if p.Key != "" {
			if _, dup := refs[loc{scope(p), p.Key}]; !dup {
				refs[loc{scope(p), p.Key}] = ref
			}
		}
		typ := TypeLibrary
		switch p.Type {
		case catalogers.TypeApplication:
			typ = TypeApplication
		case catalogers.TypeFile:
			typ = TypeFile
		}
		c := Component{Ref: ref, Type: typ, Name: p.Name, Version: p.Version, PURL: p.PURL,
			License: p.License, Found: p.Location, Supplier: supplier(p.Supplier),
			Properties: []Property{{"cradle:cataloger", p.Cataloger}}}
		for _, h := range p.Hashes {
			c.Hashes = append(c.Hashes, Hash{h.Alg, h.Value})
		}
		for _, pr := range p.Properties {
			c.Properties = append(c.Properties, Property{"cradle:" + pr.Name, pr.Value})
		}
		catalogFacts(&c, p)
		comps = append(comps, c)
	}
	for i, p := range pkgs {
		c := &comps[start+i]
		seen := map[string]bool{}
		for _, d := range p.DependsOn {
			if ref, ok := refs[loc{scope(p), d}]; ok && ref != c.Ref && !seen[ref] {
				seen[ref] = true
				c.DependsOn = append(c.DependsOn, ref)
			}
		}
		sort.Strings(c.DependsOn)
	}
	return comps
}

func scope(p catalogers.Package) string {
	if p.Scope != "" {
		return "dir:" + p.Scope
	}
	return p.Location
}

// AllHashes are the component's digests, SHA-512 first: the package
// hash over its files (SHA512) and the catalogers' file digests
// (Hashes), without repeating a value.
func (c Component) AllHashes() []Hash {
	var out []Hash
	if c.SHA512 != "" {
		out = append(out, Hash{"SHA-512", c.SHA512})
	}
	for _, h := range c.Hashes {
		if h.Alg == "SHA-512" && h.Value == c.SHA512 {
			continue
		}
		out = append(out, h)
	}
	return out
}

// Catalogers whose packages are compiled into a binary, or declared by
// a lockfile or manifest rather than installed as files.
var (
	linkedCatalogers   = map[string]bool{"go-binary": true, "cargo-auditable": true}
	declaredCatalogers = map[string]bool{"go-mod": true, "npm-lock": true, "yarn-lock": true, "pnpm-lock": true,
		"python-requirements": true, "poetry-lock": true, "uv-lock": true, "cargo-lock": true,
		"pipfile-lock": true, "python-setup": true, "pdm-lock": true, "github-actions": true}
)

// catalogFacts fills the TR-03183-2 facts of a catalogued component:
// a file's SHA-512 and properties, and for everything else the reason a
// field cannot be supplied, so that "cradle sbom check" tells a gap of
// the source from a gap of the tool.
func catalogFacts(c *Component, p catalogers.Package) {
	for _, h := range p.Hashes {
		if h.Alg == "SHA-512" {
			c.SHA512 = h.Value
		}
	}
	src := "the " + p.Cataloger + " source (" + p.Location + ")"
	if c.License == "" {
		c.unavailable(FieldLicense, src+" states no licence")
	}
	if c.Supplier.Email == "" {
		c.unavailable(FieldCreator, src+" names no supplier e-mail address")
	}
	if c.Version == "" {
		c.unavailable("version", src+" states no version")
	}
	if c.PURL == "" && p.Type != catalogers.TypeFile {
		c.unavailable("identifier", src+" refers to it by a path in its own tree, which names no package (no package URL)")
	}
	if p.Type == catalogers.TypeFile {
		c.Executable = executableWord(p.Executable)
		if c.PURL == "" {
			c.unavailable("identifier", "a file no package owns has no package URL; its hash identifies it")
		}
		return
	}
	var why string
	switch {
	case linkedCatalogers[p.Cataloger]:
		why = "compiled into a binary (" + p.Location + "), not a file of its own"
	case declaredCatalogers[p.Cataloger] && p.Type == catalogers.TypeApplication:
		why = "the project a lockfile or manifest describes (" + p.Location + "): a source tree, not a built file"
	case declaredCatalogers[p.Cataloger]:
		why = "declared in a lockfile or manifest (" + p.Location + "); the dependency's files are not identified on the target"
	case p.Cataloger == "java-archive" && c.SHA512 != "":
		// The archive is the deployable file (bsiProperties).
		c.Executable = executableWord(p.Executable)
		return
	case p.Cataloger == "java-archive":
		why = "found in an archive that could not be hashed (" + p.Location + ")"
	default:
		why = "installed metadata (" + p.Location + ") does not list the package's files"
	}
	for _, f := range []string{FieldHash, FieldFilename, FieldExecutable, "archive", "structured"} {
		c.unavailable(f, why)
	}
}

// hashedArchive tells a component that is a Java archive hashed as a
// whole from one found inside an archive.
func hashedArchive(c Component) bool {
	for _, p := range c.Properties {
		if p.Name == "cradle:cataloger" {
			return p.Value == "java-archive"
		}
	}
	return false
}

// packagedMetadata names, for catalogued components whose metadata file
// a hashed package ships (Python's egg-info of a Debian package), the
// package that carries the hash of those files.
func packagedMetadata(comps []Component) {
	owner := map[string]string{}
	for _, c := range comps {
		for _, f := range c.Files {
			owner[f.Path] = c.Manager + " package " + c.Name
		}
	}
	for i := range comps {
		c := &comps[i]
		if c.Manager != "" || c.Type == TypeFile || c.SHA512 != "" || owner[c.Found] == "" {
			continue
		}
		// The specifics go in parentheses so that check groups the reason.
		why := "installed with a package whose SHA-512 covers these files (the " + owner[c.Found] + " ships " + c.Found + ")"
		for _, f := range []string{FieldHash, FieldFilename, FieldExecutable, "archive", "structured"} {
			c.unavailable(f, why)
		}
	}
}
