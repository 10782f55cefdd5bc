package catalogers

import (
	"bytes"
	"compress/zlib"
	"context"
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/cradle-cra/cradle/internal/target"
)

// cargoLock reads Cargo.lock: [[package]] tables with name, version,
// source, checksum and dependencies ("name", "name version" or
// "name version (source)" when the name alone is ambiguous).
var cargoLock = wholeFile{name: "cargo-lock", base: "Cargo.lock", parse: parseCargoLock}

func parseCargoLock(b []byte) ([]Package, error) {
	var doc struct {
		Package []struct {
			Name         string   `toml:"name"`
			Version      string   `toml:"version"`
			Source       string   `toml:"source"`
			Checksum     string   `toml:"checksum"`
			Dependencies []string `toml:"dependencies"`
		} `toml:"package"`
	}
	if err := tomlDecode(b, &doc); err != nil {
		return nil, err
	}
	var crates []crate
	for _, p := range doc.Package {
		c := crate{Name: p.Name, Version: p.Version, Source: p.Source, Checksum: p.Checksum}
		for _, d := range p.Dependencies {
			f := strings.Fields(d)
			if len(f) == 0 {
				continue
			}
			ref := crateRef{name: f[0]}
			if len(f) > 1 {
				ref.version = f[1]
			}
			c.deps = append(c.deps, ref)
		}
		crates = append(crates, c)
	}
	return cratePackages(crates), nil
}

type crate struct {
	Name     string
	Version  string
	Source   string
	Checksum string
	deps     []crateRef
}

type crateRef struct{ name, version string }

// cratePackages keys crates by name@version and resolves each
// dependency to the one crate of that name, or of that name and version.
func cratePackages(crates []crate) []Package {
	byName := map[string][]string{}
	for _, c := range crates {
		byName[c.Name] = append(byName[c.Name], c.Version)
	}
	var out []Package
	seen := map[string]bool{}
	for _, c := range crates {
		if c.Name == "" || c.Version == "" {
			continue
		}
		key := c.Name + "@" + c.Version
		if seen[key] {
			continue
		}
		seen[key] = true
		p := Package{Ecosystem: Cargo, Type: TypeLibrary, Name: c.Name, Version: c.Version,
			PURL: purl(Cargo, "", c.Name, c.Version, nil), Key: key}
		if c.Source == "" {
			// A crate of the workspace itself.
			p.Type = TypeApplication
		} else {
			p.Properties = append(p.Properties, Property{"cargo:source", c.Source})
		}
		if c.Checksum != "" {
			p.Properties = append(p.Properties, Property{"cargo:checksum", c.Checksum})
		}
		deps := map[string]bool{}
		for _, d := range c.deps {
			v := d.version
			if v == "" && len(byName[d.name]) == 1 {
				v = byName[d.name][0]
			}
			if v != "" && d.name+"@"+v != key {
				deps[d.name+"@"+v] = true
			}
		}
		p.DependsOn = sortedKeys(deps)
		out = append(out, p)
	}
	return out
}

// cargoAuditable reads the dependency list cargo-auditable embeds in a
// binary: zlib-compressed JSON in the .dep-v0 section (ELF, PE) or
// __DATA,.dep-v0 (Mach-O), each package naming its dependencies by index.
type cargoAuditable struct{}

func (cargoAuditable) Name() string { return "cargo-auditable" }

func (cargoAuditable) Match(fi target.FileInfo) bool { return isExecCandidate(fi) }

// maxAuditData bounds the section read and its decompressed JSON.
const maxAuditData = 8 << 20

func (cargoAuditable) Catalog(_ context.Context, f *File) ([]Package, error) {
	ra, size, err := f.Open()
	if err != nil {
		return nil, err
	}
	var data []byte
	switch execFormat(ra) {
	case "elf":
		ef := f.ELF()
		if ef == nil {
			return nil, errNotMine
		}
		s := ef.Section(".dep-v0")
		if s == nil {
			return nil, errNotMine
		}
		data, err = readSection(s.Open(), s.Size, size)
		if err != nil {
			return nil, err
		}
	case "pe":
		pf, err := pe.NewFile(ra)
		if err != nil {
			return nil, errNotMine
		}
		s := pf.Section(".dep-v0")
		if s == nil {
			return nil, errNotMine
		}
		data, err = readSection(s.Open(), uint64(s.Size), size)
		if err != nil {
			return nil, err
		}
	case "macho":
		mf, err := macho.NewFile(ra)
		if err != nil {
			return nil, errNotMine
		}
		s := mf.Section(".dep-v0")
		if s == nil {
			return nil, errNotMine
		}
		data, err = readSection(s.Open(), s.Size, size)
		if err != nil {
			return nil, err
		}
	default:
		return nil, errNotMine
	}
	return parseAuditData(data)
}

func readSection(r io.Reader, n uint64, fileSize int64) ([]byte, error) {
	if n > maxAuditData || int64(n) > fileSize {
		return nil, fmt.Errorf(".dep-v0 section of %d bytes: over the bound", n)
	}
	return io.ReadAll(io.LimitReader(r, int64(n)))
}

// parseAuditData decompresses and reads cargo-auditable's JSON.
func parseAuditData(z []byte) ([]Package, error) {
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, fmt.Errorf(".dep-v0: %w", err)
	}
	defer zr.Close()
	b, err := io.ReadAll(io.LimitReader(zr, maxAuditData+1))
	if err != nil {
		return nil, fmt.Errorf(".dep-v0: %w", err)
	}
	if len(b) > maxAuditData {
		return nil, fmt.Errorf(".dep-v0: decompresses to more than %d bytes", maxAuditData)
	}
	var doc struct {
		Packages []struct {
			Name         string `json:"name"`
			Version      string `json:"version"`
			Source       string `json:"source"`
			Kind         string `json:"kind"`
			Dependencies []int  `json:"dependencies"`
			Root         bool   `json:"root"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf(".dep-v0: %w", err)
	}
	var out []Package
	for _, p := range doc.Packages {
		if p.Name == "" || p.Version == "" {
			continue
		}
		pkg := Package{Ecosystem: Cargo, Type: TypeLibrary, Name: p.Name, Version: p.Version,
			PURL: purl(Cargo, "", p.Name, p.Version, nil), Key: p.Name + "@" + p.Version}
		if p.Root {
			pkg.Type = TypeApplication
		}
		if p.Source != "" {
			pkg.Properties = append(pkg.Properties, Property{"cargo:source", p.Source})
		}
		if p.Kind == "build" {
			// Build dependencies ran at build time; their code is not in
			// the binary.
			pkg.Properties = append(pkg.Properties, Property{"cargo:kind", p.Kind})
		}
		deps := map[string]bool{}
		for _, i := range p.Dependencies {
			if i >= 0 && i < len(doc.Packages) {
				d := doc.Packages[i]
				if k := d.Name + "@" + d.Version; d.Name != "" && k != pkg.Key {
					deps[k] = true
				}
			}
		}
		pkg.DependsOn = sortedKeys(deps)
		out = append(out, pkg)
	}
	return out, nil
}
