package catalogers

import (
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// pnpmLock reads pnpm-lock.yaml, lockfile versions 5 to 9. Package keys
// are "/name/1.0.0" (5), "/name@1.0.0" (6) or "name@1.0.0" (9), with
// peer-dependency suffixes ("_react@18", "(react@18)") that do not change
// the package; version 9 keeps dependencies under "snapshots".
var pnpmLock = wholeFile{name: "pnpm-lock", base: "pnpm-lock.yaml", parse: parsePnpmLock}

type pnpmEntry struct {
	Resolution struct {
		Integrity string `yaml:"integrity"`
	} `yaml:"resolution"`
	Name                 string            `yaml:"name"`
	Version              string            `yaml:"version"`
	Dev                  *bool             `yaml:"dev"`
	Dependencies         map[string]string `yaml:"dependencies"`
	OptionalDependencies map[string]string `yaml:"optionalDependencies"`
}

func parsePnpmLock(b []byte) ([]Package, error) {
	var doc struct {
		LockfileVersion any                  `yaml:"lockfileVersion"`
		Packages        map[string]pnpmEntry `yaml:"packages"`
		Snapshots       map[string]pnpmEntry `yaml:"snapshots"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	major := 0
	switch v := doc.LockfileVersion.(type) {
	case string:
		f, _ := strconv.ParseFloat(v, 64)
		major = int(f)
	case float64:
		major = int(v)
	case int:
		major = v
	}
	type pk struct {
		name, version string
		e             pnpmEntry
		deps          map[string]bool
	}
	byKey := map[string]*pk{}
	add := func(k string, e pnpmEntry, snapshot bool) {
		name, version := pnpmSplit(k, major)
		if e.Name != "" {
			name = e.Name
		}
		if e.Version != "" && !snapshot {
			version = e.Version
		}
		if name == "" || version == "" {
			return
		}
		key := name + "@" + version
		p := byKey[key]
		if p == nil {
			p = &pk{name: name, version: version, deps: map[string]bool{}}
			byKey[key] = p
		}
		if !snapshot {
			p.e = e
		}
		for _, m := range []map[string]string{e.Dependencies, e.OptionalDependencies} {
			for dn, dv := range m {
				if v := pnpmVersion(dv); v != "" && !strings.HasPrefix(v, "link:") {
					p.deps[dn+"@"+v] = true
				}
			}
		}
	}
	for k, e := range doc.Packages {
		add(k, e, false)
	}
	for k, e := range doc.Snapshots {
		add(k, e, true)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Package, 0, len(keys))
	for _, k := range keys {
		p := byKey[k]
		pkg := npmPackage(p.name, p.version, "")
		pkg.Key = k
		if p.e.Dev != nil && *p.e.Dev {
			pkg.Properties = append(pkg.Properties, Property{"npm:dev", "true"})
		}
		if p.e.Resolution.Integrity != "" {
			pkg.Properties = append(pkg.Properties, Property{"npm:integrity", p.e.Resolution.Integrity})
		}
		var deps []string
		for d := range p.deps {
			if _, ok := byKey[d]; ok && d != k {
				deps = append(deps, d)
			}
		}
		sort.Strings(deps)
		pkg.DependsOn = deps
		out = append(out, pkg)
	}
	return out, nil
}

// pnpmVersion strips a peer suffix from a dependency's version
// ("18.2.0(react@18.2.0)", "1.0.0_react@18.2.0").
func pnpmVersion(v string) string {
	if i := strings.IndexByte(v, '('); i >= 0 {
		v = v[:i]
	}
	if i := strings.IndexByte(v, '_'); i >= 0 {
		v = v[:i]
	}
	return v
}

// pnpmSplit splits a package key into name and version.
func pnpmSplit(k string, major int) (string, string) {
	k = strings.TrimPrefix(k, "/")
	if i := strings.IndexByte(k, '('); i >= 0 {
		k = k[:i]
	}
	if major > 0 && major < 6 {
		// "/@s/name/1.0.0_peer@1"
		i := strings.LastIndexByte(k, '/')
		if i <= 0 {
			return "", ""
		}
		return k[:i], pnpmVersion(k[i+1:])
	}
	i := strings.LastIndexByte(k, '@')
	if i <= 0 {
		return "", ""
	}
	return k[:i], pnpmVersion(k[i+1:])
}
