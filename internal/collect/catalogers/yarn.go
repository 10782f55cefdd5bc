package catalogers

import (
	"bufio"
	"bytes"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// yarnLock reads yarn.lock: Yarn 1's own format and Yarn 2+ ("berry"),
// which is YAML with a __metadata entry. Each entry names the
// specifiers ("name@range") it satisfies; dependencies are resolved
// through them.
var yarnLock = wholeFile{name: "yarn-lock", base: "yarn.lock", parse: parseYarnLock}

// yarnEntry is one resolved package of either format.
type yarnEntry struct {
	specs   []string // "name@range" (berry: "name@npm:range")
	version string
	app     bool              // a workspace of the project itself
	deps    map[string]string // name → range
	props   []Property
}

func parseYarnLock(b []byte) ([]Package, error) {
	var entries []yarnEntry
	if bytes.Contains(b, []byte("\n__metadata:")) || bytes.HasPrefix(b, []byte("__metadata:")) {
		var err error
		if entries, err = parseYarnBerry(b); err != nil {
			return nil, err
		}
	} else {
		entries = parseYarnV1(b)
	}
	bySpec := map[string]string{}
	keyOf := func(e yarnEntry) string { return yarnName(e.specs[0]) + "@" + e.version }
	for _, e := range entries {
		for _, s := range e.specs {
			bySpec[s] = keyOf(e)
		}
	}
	var out []Package
	seen := map[string]bool{}
	for _, e := range entries {
		key := keyOf(e)
		if seen[key] {
			continue
		}
		seen[key] = true
		p := npmPackage(yarnName(e.specs[0]), e.version, "")
		p.Key, p.Properties = key, e.props
		if e.app {
			p.Type = TypeApplication
		}
		deps := map[string]bool{}
		for name, rng := range e.deps {
			for _, s := range []string{name + "@" + rng, name + "@npm:" + rng} {
				if k, ok := bySpec[s]; ok && k != key {
					deps[k] = true
					break
				}
			}
		}
		p.DependsOn = sortedKeys(deps)
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// yarnName is the package name of a specifier ("@s/a@^1" → "@s/a").
func yarnName(spec string) string {
	if i := strings.IndexByte(spec[min(1, len(spec)):], '@'); i >= 0 {
		return spec[:i+1]
	}
	return spec
}

// parseYarnV1 reads Yarn 1's format: an unindented line of specifiers
// ending in ':', then indented "key value" fields and a "dependencies:"
// block of "name range" lines one level deeper.
func parseYarnV1(b []byte) []yarnEntry {
	var out []yarnEntry
	var cur *yarnEntry
	block := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		trim := strings.TrimSpace(line)
		if trim == "" || strings.HasPrefix(trim, "#") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case indent == 0:
			if cur != nil && cur.version != "" && len(cur.specs) > 0 {
				out = append(out, *cur)
			}
			cur = &yarnEntry{deps: map[string]string{}}
			block = ""
			for _, s := range strings.Split(strings.TrimSuffix(trim, ":"), ",") {
				if s = strings.Trim(strings.TrimSpace(s), `"`); s != "" {
					cur.specs = append(cur.specs, s)
				}
			}
		case cur == nil:
		case indent <= 2:
			k, v := yarnKV(trim)
			block = ""
			switch k {
			case "version":
				cur.version = v
			case "resolved":
				cur.props = append(cur.props, Property{"npm:resolved", v})
			case "integrity":
				cur.props = append(cur.props, Property{"npm:integrity", v})
			case "dependencies:", "optionalDependencies:":
				block = k
			}
		case block != "":
			k, v := yarnKV(trim)
			if k != "" {
				cur.deps[k] = v
			}
		}
	}
	if cur != nil && cur.version != "" && len(cur.specs) > 0 {
		out = append(out, *cur)
	}
	return out
}

// yarnKV splits `key "value"` (either part may be quoted).
func yarnKV(s string) (string, string) {
	var k string
	if strings.HasPrefix(s, `"`) {
		if i := strings.IndexByte(s[1:], '"'); i >= 0 {
			k, s = s[1:i+1], s[i+2:]
		} else {
			return "", ""
		}
	} else {
		var ok bool
		k, s, ok = strings.Cut(s, " ")
		if !ok {
			return k, ""
		}
	}
	return k, strings.Trim(strings.TrimSpace(s), `"`)
}

// parseYarnBerry reads the YAML lockfile of Yarn 2 and later. Workspace
// entries (resolution "name@workspace:…") are the project's own packages.
func parseYarnBerry(b []byte) ([]yarnEntry, error) {
	var doc map[string]struct {
		Version              string            `yaml:"version"`
		Resolution           string            `yaml:"resolution"`
		Dependencies         map[string]string `yaml:"dependencies"`
		OptionalDependencies map[string]string `yaml:"optionalDependencies"`
		Checksum             string            `yaml:"checksum"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []yarnEntry
	for _, k := range keys {
		if k == "__metadata" {
			continue
		}
		v := doc[k]
		if v.Version == "" {
			continue
		}
		e := yarnEntry{version: v.Version, deps: map[string]string{}}
		for _, s := range strings.Split(k, ",") {
			if s = strings.TrimSpace(s); s != "" {
				e.specs = append(e.specs, s)
			}
		}
		if len(e.specs) == 0 {
			continue
		}
		if strings.Contains(v.Resolution, "@workspace:") {
			e.app = true
		}
		if v.Checksum != "" {
			e.props = append(e.props, Property{"yarn:checksum", v.Checksum})
		}
		for n, r := range v.Dependencies {
			e.deps[n] = r
		}
		for n, r := range v.OptionalDependencies {
			e.deps[n] = r
		}
		out = append(out, e)
	}
	return out, nil
}
