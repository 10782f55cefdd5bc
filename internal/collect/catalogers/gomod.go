package catalogers

import (
	"bufio"
	"bytes"
	"context"
	"maps"
	"path"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/cradle-cra/cradle/internal/target"
)

// goMod reads a Go module's go.mod (and the go.sum beside it for the
// hashes): the module itself and the modules it requires, with replace
// directives applied. A source tree says what will be built, not what a
// binary holds; go.mod lists every module the build needs (Go 1.17+
// records the indirect ones too).
type goMod struct{}

func (goMod) Name() string { return "go-mod" }

func (goMod) Match(fi target.FileInfo) bool { return path.Base(fi.Path) == "go.mod" }

func (goMod) Catalog(_ context.Context, f *File) ([]Package, error) {
	b, err := f.ReadAll()
	if err != nil {
		return nil, err
	}
	var sum []byte
	sumPath := path.Join(path.Dir(f.Info.Path), "go.sum")
	if target.Exists(f.t, sumPath) {
		sum, _ = target.ReadFileLimit(f.t, sumPath, MaxMetaSize)
	}
	return parseGoMod(b, sum)
}

// parseGoMod turns go.mod (and optionally go.sum) into packages: the main
// module (an application) depending on its direct requirements.
func parseGoMod(mod, sum []byte) ([]Package, error) {
	// Parse, not ParseLax: the lax parser drops replace directives.
	mf, err := modfile.Parse("go.mod", mod, nil)
	if err != nil {
		if mf, err = modfile.ParseLax("go.mod", mod, nil); err != nil {
			return nil, err
		}
	}
	hashes := goSumHashes(sum)
	repl := map[string]*modfile.Replace{}
	for _, r := range mf.Replace {
		repl[r.Old.Path+"@"+r.Old.Version] = r
	}
	var out []Package
	var direct []string
	seen := map[string]bool{}
	for _, r := range mf.Require {
		name, version := r.Mod.Path, r.Mod.Version
		var props []Property
		rp := repl[name+"@"+version]
		if rp == nil {
			rp = repl[name+"@"]
		}
		switch {
		case rp != nil && rp.New.Version == "":
			props = append(props, Property{"golang:replaced-by", rp.New.Path})
		case rp != nil:
			props = append(props, Property{"golang:replaces", name + "@" + version})
			name, version = rp.New.Path, rp.New.Version
		}
		if h := hashes[name+"@"+version]; h != "" {
			props = append(props, Property{"golang:h1", h})
		}
		if r.Indirect {
			props = append(props, Property{"golang:indirect", "true"})
		}
		key := name + "@" + version
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, Package{Ecosystem: Golang, Type: TypeLibrary, Name: name, Version: version,
			PURL: golangPURL(name, version), Key: key, Properties: props})
		if !r.Indirect {
			direct = append(direct, key)
		}
	}
	// go.sum's content hashes name the modules the build downloaded;
	// those of paths go.mod does not require (dependencies of
	// dependencies, pruned from go.mod since Go 1.17) are in the build
	// list too: reported as indirect, without edges (go.sum has none).
	required := map[string]bool{}
	for _, r := range mf.Require {
		required[r.Mod.Path] = true
	}
	for _, r := range mf.Replace {
		required[r.New.Path] = true
	}
	for _, key := range slices.Sorted(maps.Keys(hashes)) {
		name, version, _ := strings.Cut(key, "@")
		if required[name] || seen[key] || name == "" || version == "" {
			continue
		}
		seen[key] = true
		out = append(out, Package{Ecosystem: Golang, Type: TypeLibrary, Name: name, Version: version,
			PURL: golangPURL(name, version), Key: key, Properties: []Property{{"golang:h1", hashes[key]},
				{"golang:indirect", "true"}, {"golang:from", "go.sum"}}})
	}
	if mf.Module != nil && mf.Module.Mod.Path != "" {
		m := Package{Ecosystem: Golang, Type: TypeApplication, Name: mf.Module.Mod.Path,
			PURL: golangPURL(mf.Module.Mod.Path, ""), Key: "main", DependsOn: direct}
		if mf.Go != nil {
			m.Properties = append(m.Properties, Property{"golang:go-directive", mf.Go.Version})
		}
		if mf.Toolchain != nil {
			m.Properties = append(m.Properties, Property{"golang:toolchain", mf.Toolchain.Name})
		}
		out = append([]Package{m}, out...)
	}
	return out, nil
}

// goSumHashes maps module@version to its h1 hash from go.sum lines
// ("MODULE VERSION h1:…"; the "/go.mod" lines hash only the go.mod).
func goSumHashes(sum []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(sum))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || strings.HasSuffix(f[1], "/go.mod") || !strings.HasPrefix(f[2], "h1:") {
			continue
		}
		out[f[0]+"@"+f[1]] = f[2]
	}
	return out
}
