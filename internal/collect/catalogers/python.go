package catalogers

import (
	"bufio"
	"bytes"
	"context"
	"path"
	"regexp"
	"strings"

	"github.com/cradle-cra/cradle/internal/target"
)

// pyInstalled reads installed Python distributions: the core metadata of
// NAME.dist-info/METADATA (wheels), NAME.egg-info/PKG-INFO (eggs, and
// an .egg-info that is itself the metadata file) and
// NAME-VER-pyX.Y.egg/EGG-INFO/PKG-INFO (an unpacked egg directory).
type pyInstalled struct{}

func (pyInstalled) Name() string { return "python-installed" }

func (pyInstalled) Match(fi target.FileInfo) bool {
	base, dir := path.Base(fi.Path), path.Base(path.Dir(fi.Path))
	switch {
	case base == "METADATA":
		return strings.HasSuffix(dir, ".dist-info")
	case base == "PKG-INFO":
		return strings.HasSuffix(dir, ".egg-info") || dir == "EGG-INFO" && strings.HasSuffix(path.Dir(path.Dir(fi.Path)), ".egg")
	}
	return strings.HasSuffix(base, ".egg-info")
}

func (pyInstalled) Catalog(_ context.Context, f *File) ([]Package, error) {
	b, err := f.ReadAll()
	if err != nil {
		return nil, err
	}
	pkgs := parsePyMetadata(b)
	// Requirements resolve among the distributions of the same
	// site-packages directory.
	site := path.Dir(f.Path())
	if !strings.HasSuffix(f.Info.Path, ".egg-info") {
		site = path.Dir(site)
	}
	if strings.HasSuffix(site, ".egg") {
		site = path.Dir(site) // NAME.egg/EGG-INFO/PKG-INFO
	}
	for i := range pkgs {
		pkgs[i].Scope = site
	}
	return pkgs, nil
}

// parsePyMetadata reads the RFC 822 header of core metadata (the body
// is the description). License-Expression (metadata 2.4) is an SPDX
// expression; the older License field is free text, kept when it is a
// single line.
func parsePyMetadata(b []byte) []Package {
	h := map[string]string{}
	var reqs []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	last := ""
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break // end of the header
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last == "license" {
				h["license-multiline"] = "true"
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		last = k
		if k == "requires-dist" {
			reqs = append(reqs, v)
			continue
		}
		if _, dup := h[k]; !dup {
			h[k] = v
		}
	}
	name, version := h["name"], h["version"]
	if name == "" || version == "" {
		return nil
	}
	lic := h["license-expression"]
	if lic == "" && h["license-multiline"] == "" && !strings.EqualFold(h["license"], "UNKNOWN") && len(h["license"]) < 100 {
		lic = h["license"]
	}
	p := pyPackage(name, version)
	p.License = lic
	p.Supplier = pySupplier(h)
	deps := map[string]bool{}
	for _, r := range reqs {
		if strings.Contains(r, "extra ==") {
			continue // only with an extra the installer may not have chosen
		}
		if n := pyReqName(r); n != "" {
			deps[n] = true
		}
	}
	delete(deps, p.Key)
	p.DependsOn = sortedKeys(deps)
	return []Package{p}
}

var pyNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*`)

// pyReqName is the normalised project name a requirement starts with.
func pyReqName(r string) string { return pyNormalize(pyNameRE.FindString(strings.TrimSpace(r))) }

// pyNormalize is PEP 503's normalised name, the form the pypi purl uses.
func pyNormalize(n string) string {
	n = strings.ToLower(n)
	var b strings.Builder
	dash := false
	for _, r := range n {
		if r == '-' || r == '_' || r == '.' {
			if !dash {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		dash = false
		b.WriteRune(r)
	}
	return b.String()
}

func pyPackage(name, version string) Package {
	n := pyNormalize(name)
	return Package{Ecosystem: PyPI, Type: TypeLibrary, Name: name, Version: version,
		PURL: purl(PyPI, "", n, version, nil), Key: n}
}

// pyRequirements reads pinned requirements files: only "name==version"
// (or "===") lines say what is installed; ranges say nothing. A file
// is one when its name contains "requirements" and ends in ".txt"
// (requirements.txt, requirements-test.txt, dev-requirements.txt …), or
// it is a ".txt" file in a directory named "requirements"
// (requirements/dev.txt).
type pyRequirements struct{}

func (pyRequirements) Name() string { return "python-requirements" }

func (pyRequirements) Match(fi target.FileInfo) bool {
	b := path.Base(fi.Path)
	if !strings.HasSuffix(b, ".txt") {
		return false
	}
	return strings.Contains(b, "requirements") || path.Base(path.Dir(fi.Path)) == "requirements"
}

func (pyRequirements) Catalog(_ context.Context, f *File) ([]Package, error) {
	b, err := f.ReadAll()
	if err != nil {
		return nil, err
	}
	pkgs := parseRequirements(b)
	if devRequirements(f.Info.Path) {
		for i := range pkgs {
			pkgs[i].Properties = append(pkgs[i].Properties, Property{"python:dev", "true"})
		}
	}
	return pkgs, nil
}

// devRequirements tells a development or test requirements file by a
// word of its name ("dev-requirements.txt", "requirements-test.txt",
// "requirements/testing.txt"): what it pins is not what the project
// installs to run.
func devRequirements(p string) bool {
	words := strings.FieldsFunc(strings.ToLower(strings.TrimSuffix(path.Base(p), ".txt")), func(r rune) bool {
		return r == '-' || r == '_' || r == '.'
	})
	for _, w := range words {
		switch w {
		case "dev", "devel", "develop", "development", "test", "tests", "testing":
			return true
		}
	}
	return false
}

var pyPinRE = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*===?\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)\s*(;.*)?$`)

func parseRequirements(b []byte) []Package {
	var out []Package
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		// pip's per-requirement options ("--hash=…") follow the pin.
		if i := strings.Index(line, " --"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line), "\\"))
		m := pyPinRE.FindStringSubmatch(line)
		if m == nil || strings.Contains(m[3], "*") {
			continue
		}
		p := pyPackage(m[1], m[3])
		// One name may be pinned to several versions under different
		// markers (python_version); each is kept.
		if seen[p.Key+"@"+p.Version] {
			continue
		}
		seen[p.Key+"@"+p.Version] = true
		out = append(out, p)
	}
	return pyDedupe(out)
}

// poetryLock reads poetry.lock: [[package]] tables with name, version
// and a dependencies table whose keys are project names.
var poetryLock = wholeFile{name: "poetry-lock", base: "poetry.lock", parse: parsePoetryLock}

func parsePoetryLock(b []byte) ([]Package, error) {
	var doc struct {
		Package []struct {
			Name         string         `toml:"name"`
			Version      string         `toml:"version"`
			Category     string         `toml:"category"`
			Dependencies map[string]any `toml:"dependencies"`
		} `toml:"package"`
	}
	if err := tomlDecode(b, &doc); err != nil {
		return nil, err
	}
	var out []Package
	names := map[string]bool{}
	for _, p := range doc.Package {
		names[pyNormalize(p.Name)] = true
	}
	for _, p := range doc.Package {
		if p.Name == "" || p.Version == "" {
			continue
		}
		pkg := pyPackage(p.Name, p.Version)
		if p.Category == "dev" {
			pkg.Properties = append(pkg.Properties, Property{"python:dev", "true"})
		}
		deps := map[string]bool{}
		for d := range p.Dependencies {
			if n := pyNormalize(d); names[n] && n != pkg.Key {
				deps[n] = true
			}
		}
		pkg.DependsOn = sortedKeys(deps)
		out = append(out, pkg)
	}
	return pyDedupe(out), nil
}

// uvLock reads uv.lock, and a script's NAME.py.lock (PEP 723, "uv lock
// --script"), the same format: [[package]] tables with name, version,
// source and dependencies as {name = …} tables; the project itself has
// an editable or virtual source.
type uvLock struct{}

func (uvLock) Name() string { return "uv-lock" }

func (uvLock) Match(fi target.FileInfo) bool {
	b := path.Base(fi.Path)
	return b == "uv.lock" || strings.HasSuffix(b, ".py.lock")
}

func (uvLock) Catalog(_ context.Context, f *File) ([]Package, error) {
	b, err := f.ReadAll()
	if err != nil {
		return nil, err
	}
	return parseUvLock(b)
}

func parseUvLock(b []byte) ([]Package, error) {
	type dep struct {
		Name string `toml:"name"`
	}
	var doc struct {
		Package []struct {
			Name         string           `toml:"name"`
			Version      string           `toml:"version"`
			Source       map[string]any   `toml:"source"`
			Dependencies []dep            `toml:"dependencies"`
			Optional     map[string][]dep `toml:"optional-dependencies"`
			Dev          map[string][]dep `toml:"dev-dependencies"`
		} `toml:"package"`
	}
	if err := tomlDecode(b, &doc); err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, p := range doc.Package {
		names[pyNormalize(p.Name)] = true
	}
	var out []Package
	for _, p := range doc.Package {
		if p.Name == "" {
			continue
		}
		pkg := pyPackage(p.Name, p.Version)
		_, editable := p.Source["editable"]
		_, virtual := p.Source["virtual"]
		if editable || virtual {
			pkg.Type = TypeApplication
		}
		deps := map[string]bool{}
		all := append([]dep(nil), p.Dependencies...)
		for _, ds := range p.Optional {
			all = append(all, ds...)
		}
		for _, ds := range p.Dev {
			all = append(all, ds...)
		}
		for _, d := range all {
			if n := pyNormalize(d.Name); names[n] && n != pkg.Key {
				deps[n] = true
			}
		}
		pkg.DependsOn = sortedKeys(deps)
		out = append(out, pkg)
	}
	return pyDedupe(out), nil
}

// pyDedupe keeps the first package of each name: a lockfile resolving one
// name to two versions (per platform markers) keys edges by name, so the
// second would be unreachable; it stays, keyed by name@version.
func pyDedupe(pkgs []Package) []Package {
	seen := map[string]bool{}
	for i := range pkgs {
		if seen[pkgs[i].Key] {
			pkgs[i].Key += "@" + pkgs[i].Version
		}
		seen[pkgs[i].Key] = true
	}
	return pkgs
}

// pySupplier is the metadata's author, else maintainer: "Name <email>",
// or the email field alone (which may itself hold "Name <email>").
func pySupplier(h map[string]string) string {
	for _, who := range []string{"author", "maintainer"} {
		name, email := h[who], h[who+"-email"]
		switch {
		case name != "" && email != "" && !strings.Contains(email, "<"):
			return name + " <" + email + ">"
		case email != "":
			return email
		case name != "":
			return name
		}
	}
	return ""
}
