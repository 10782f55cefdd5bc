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
