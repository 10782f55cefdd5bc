package catalogers

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/target"
)

// npmLock reads package-lock.json (and npm-shrinkwrap.json) of lockfile
// versions 2 and 3: the "packages" map keyed by install path, which says
// exactly which copy of a dependency each package resolves to.
type npmLock struct{}

func (npmLock) Name() string { return "npm-lock" }

func (npmLock) Match(fi target.FileInfo) bool {
	b := path.Base(fi.Path)
	// node_modules/.package-lock.json is npm's hidden copy of the same
	// tree; the project's own lockfile is the one to report.
	return (b == "package-lock.json" || b == "npm-shrinkwrap.json") && !strings.Contains(fi.Path, "node_modules/")
}

func (npmLock) Catalog(_ context.Context, f *File) ([]Package, error) {
	b, err := f.ReadAll()
	if err != nil {
		return nil, err
	}
	return parseNpmLock(b)
}

type npmLockFile struct {
	Name            string                    `json:"name"`
	Version         string                    `json:"version"`
	LockfileVersion int                       `json:"lockfileVersion"`
	Packages        map[string]npmLockPackage `json:"packages"`
	Dependencies    map[string]npmLockV1      `json:"dependencies"`
}

// npmLockV1 is an entry of lockfile v1's nested "dependencies" tree.
type npmLockV1 struct {
	Version      string               `json:"version"`
	Resolved     string               `json:"resolved"`
	Integrity    string               `json:"integrity"`
	Dev          bool                 `json:"dev"`
	Optional     bool                 `json:"optional"`
	Requires     map[string]string    `json:"requires"`
	Dependencies map[string]npmLockV1 `json:"dependencies"`
}

// npmV1Packages turns lockfile v1's nested tree into v2's packages map
// (install path → package), so one resolution serves both.
func npmV1Packages(lf *npmLockFile) map[string]npmLockPackage {
	out := map[string]npmLockPackage{"": {Name: lf.Name, Version: lf.Version}}
	var walk func(prefix string, deps map[string]npmLockV1, depth int)
	walk = func(prefix string, deps map[string]npmLockV1, depth int) {
		if depth > maxNesting {
			return
		}
		for name, d := range deps {
			k := prefix + "node_modules/" + name
			out[k] = npmLockPackage{Version: d.Version, Resolved: d.Resolved, Integrity: d.Integrity,
				Dev: d.Dev, Optional: d.Optional, Dependencies: d.Requires}
			walk(k+"/", d.Dependencies, depth+1)
		}
	}
	walk("", lf.Dependencies, 0)
	return out
}

type npmLockPackage struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Resolved             string            `json:"resolved"`
	Integrity            string            `json:"integrity"`
	License              json.RawMessage   `json:"license"`
	Link                 bool              `json:"link"`
	Dev                  bool              `json:"dev"`
	Optional             bool              `json:"optional"`
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
}

func parseNpmLock(b []byte) ([]Package, error) {
	var lf npmLockFile
	if err := json.Unmarshal(b, &lf); err != nil {
		return nil, err
	}
	if lf.Packages == nil {
		if lf.Dependencies == nil {
			return nil, fmt.Errorf("lockfileVersion %d with neither packages nor dependencies", lf.LockfileVersion)
		}
		// Lockfile v1 (npm 5 and 6): the root's own dependencies are not
		// listed, so it has no edges.
		lf.Packages = npmV1Packages(&lf)
	}
	keys := make([]string, 0, len(lf.Packages))
	for k := range lf.Packages {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []Package
	for _, k := range keys {
		p := lf.Packages[k]
		if p.Link {
			continue // the entry of its target path is the package
		}
		name := p.Name
		if name == "" {
			name = npmNameFromPath(k)
		}
		if name == "" {
			continue
		}
		pkg := npmPackage(name, p.Version, npmLicense(p.License))
		pkg.Key = k
		if k == "" {
			pkg.Type = TypeApplication
		}
		if p.Dev {
			pkg.Properties = append(pkg.Properties, Property{"npm:dev", "true"})
		}
		if p.Integrity != "" {
			pkg.Properties = append(pkg.Properties, Property{"npm:integrity", p.Integrity})
		}
		if p.Resolved != "" {
			pkg.Properties = append(pkg.Properties, Property{"npm:resolved", p.Resolved})
		}
		deps := map[string]bool{}
		for _, m := range []map[string]string{p.Dependencies, p.OptionalDependencies, p.PeerDependencies, p.DevDependencies} {
			for d := range m {
				if to := npmResolve(lf.Packages, k, d); to != "" && to != k {
					deps[to] = true
				}
			}
		}
		pkg.DependsOn = sortedKeys(deps)
		out = append(out, pkg)
	}
	return out, nil
}

// npmResolve finds the install path a dependency of the package at from
// resolves to, the way Node's module resolution does: the nearest
// node_modules directory up the tree that holds it.
func npmResolve(pkgs map[string]npmLockPackage, from, dep string) string {
	dir := from
	for {
		cand := "node_modules/" + dep
		if dir != "" {
			cand = dir + "/node_modules/" + dep
		}
		if p, ok := pkgs[cand]; ok {
			if p.Link && p.Resolved != "" {
				return p.Resolved
			}
			return cand
		}
		if dir == "" {
			return ""
		}
		i := strings.LastIndex(dir, "/node_modules/")
		if i < 0 {
			dir = ""
			continue
		}
		dir = dir[:i]
	}
}

// npmNameFromPath takes the package name from an install path
// ("node_modules/a/node_modules/@s/b" → "@s/b").
func npmNameFromPath(k string) string {
	i := strings.LastIndex(k, "node_modules/")
	if i < 0 {
		return ""
	}
	return k[i+len("node_modules/"):]
}

// npmPackage builds an npm package with its purl (a scope is the
// namespace).
func npmPackage(name, version, license string) Package {
	ns, n := "", name
	if strings.HasPrefix(name, "@") {
		if i := strings.IndexByte(name, '/'); i > 0 {
			ns, n = name[:i], name[i+1:]
		}
	}
	return Package{Ecosystem: Npm, Type: TypeLibrary, Name: name, Version: version, License: license,
		PURL: purl(Npm, ns, n, version, nil)}
}

// npmLicense reads package.json's "license": an SPDX expression string,
// or the deprecated {"type": …} object.
func npmLicense(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.Type
	}
	return ""
}

// npmInstalled reads the package.json of each package installed in a
// node_modules directory (node_modules/NAME/package.json,
// node_modules/@SCOPE/NAME/package.json).
type npmInstalled struct{}

func (npmInstalled) Name() string { return "npm-installed" }

func (npmInstalled) Match(fi target.FileInfo) bool {
	if path.Base(fi.Path) != "package.json" {
		return false
	}
	dir := path.Dir(fi.Path)
	parent := path.Dir(dir)
	if path.Base(parent) == "node_modules" {
		return true
	}
	return strings.HasPrefix(path.Base(parent), "@") && path.Base(path.Dir(parent)) == "node_modules"
}

func (npmInstalled) Catalog(_ context.Context, f *File) ([]Package, error) {
	b, err := f.ReadAll()
	if err != nil {
		return nil, err
	}
	pkgs, err := parsePackageJSON(b)
	// Dependencies resolve among the packages of the same node_modules
	// directory: where Node looks first. One found only further up is
	// left out rather than guessed.
	nm := path.Dir(path.Dir(f.Path()))
	if path.Base(nm) != "node_modules" {
		nm = path.Dir(nm) // a scoped package
	}
	for i := range pkgs {
		pkgs[i].Scope = nm
	}
	return pkgs, err
}

func parsePackageJSON(b []byte) ([]Package, error) {
	var pj struct {
		Name                 string            `json:"name"`
		Version              string            `json:"version"`
		License              json.RawMessage   `json:"license"`
		Author               json.RawMessage   `json:"author"`
		Dependencies         map[string]string `json:"dependencies"`
		OptionalDependencies map[string]string `json:"optionalDependencies"`
	}
	if err := json.Unmarshal(b, &pj); err != nil {
		return nil, err
	}
	if pj.Name == "" || pj.Version == "" {
		// A directory marker ({"type": "module"}), not a package.
		return nil, nil
	}
	p := npmPackage(pj.Name, pj.Version, npmLicense(pj.License))
	p.Key = pj.Name
	p.Supplier = npmPerson(pj.Author)
	deps := map[string]bool{}
	for _, m := range []map[string]string{pj.Dependencies, pj.OptionalDependencies} {
		for d := range m {
			if d != pj.Name {
				deps[d] = true
			}
		}
	}
	p.DependsOn = sortedKeys(deps)
	return []Package{p}, nil
}

func sortedKeys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// npmPerson reads package.json's "author": "Name <email> (url)" or
// {"name": …, "email": …}.
func npmPerson(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if i := strings.IndexByte(s, '('); i > 0 {
			s = s[:i]
		}
		return strings.TrimSpace(s)
	}
	var o struct{ Name, Email string }
	if json.Unmarshal(raw, &o) != nil || o.Name == "" {
		return ""
	}
	if o.Email != "" {
		return o.Name + " <" + o.Email + ">"
	}
	return o.Name
}
