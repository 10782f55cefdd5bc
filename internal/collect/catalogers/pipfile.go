package catalogers

import (
	"encoding/json"
	"sort"
	"strings"
)

// pipfileLock reads Pipfile.lock (pipenv): JSON whose "default" and
// "develop" objects map each project name to its pin ("version":
// "==1.2.3"). Develop packages are marked python:dev; entries without an
// exact version (a VCS or path requirement) say nothing installed.
var pipfileLock = wholeFile{name: "pipfile-lock", base: "Pipfile.lock", parse: parsePipfileLock}

func parsePipfileLock(b []byte) ([]Package, error) {
	type entry struct {
		Version string `json:"version"`
	}
	// encoding/json refuses nesting deeper than 10,000 levels itself.
	var doc struct {
		Default map[string]entry `json:"default"`
		Develop map[string]entry `json:"develop"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	var out []Package
	seen := map[string]bool{}
	for _, sec := range []struct {
		m   map[string]entry
		dev bool
	}{{doc.Default, false}, {doc.Develop, true}} {
		names := make([]string, 0, len(sec.m))
		for n := range sec.m {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			v, ok := strings.CutPrefix(sec.m[n].Version, "==")
			v = strings.TrimPrefix(v, "=") // "===" arbitrary equality
			if !ok || v == "" || pyNameRE.FindString(n) != n {
				continue
			}
			p := pyPackage(n, v)
			if seen[p.Key+"@"+v] {
				continue // in both sections: the default one says it
			}
			seen[p.Key+"@"+v] = true
			if sec.dev {
				p.Properties = append(p.Properties, Property{"python:dev", "true"})
			}
			out = append(out, p)
		}
	}
	return pyDedupe(out), nil
}
