package catalogers

import (
	"slices"
)

// pdmLock reads pdm.lock: [[package]] tables with name, version, the
// dependency groups that need it and dependencies as requirement
// strings. A package of no "default" group is only in development
// groups and is marked python:dev.
var pdmLock = wholeFile{name: "pdm-lock", base: "pdm.lock", parse: parsePdmLock}

func parsePdmLock(b []byte) ([]Package, error) {
	var doc struct {
		Package []struct {
			Name         string   `toml:"name"`
			Version      string   `toml:"version"`
			Groups       []string `toml:"groups"`
			Dependencies []string `toml:"dependencies"`
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
		if p.Name == "" || p.Version == "" {
			continue
		}
		pkg := pyPackage(p.Name, p.Version)
		if len(p.Groups) > 0 && !slices.Contains(p.Groups, "default") {
			pkg.Properties = append(pkg.Properties, Property{"python:dev", "true"})
		}
		deps := map[string]bool{}
		for _, d := range p.Dependencies {
			if n := pyReqName(d); names[n] && n != pkg.Key {
				deps[n] = true
			}
		}
		pkg.DependsOn = sortedKeys(deps)
		out = append(out, pkg)
	}
	return pyDedupe(out), nil
}
