package catalogers

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"golang.org/x/mod/semver"
	"io"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/cradle-cra/cradle/internal/target"
)

// goBinary reads the build information the Go toolchain embeds in every
// executable it links (ELF, PE, Mach-O): the main module, the modules
// linked in with their versions and go.sum hashes, the Go version (the
// standard library, as OSV's "stdlib") and the build settings.
type goBinary struct{}

func (goBinary) Name() string { return "go-binary" }

func (goBinary) Match(fi target.FileInfo) bool { return isExecCandidate(fi) }

// minExecSize: nothing smaller is a linked program worth opening.
const minExecSize = 1 << 10

// isExecCandidate: a regular file with an executable bit (or a Windows
// executable's suffix), of plausible size. The content (magic) decides.
func isExecCandidate(fi target.FileInfo) bool {
	if fi.Size < minExecSize || fi.Size > MaxBinarySize {
		return false
	}
	if fi.Mode&0o111 != 0 {
		return true
	}
	return strings.HasSuffix(fi.Path, ".exe")
}

// execFormat names the object format from the first bytes, "" when it is
// none cradle reads.
func execFormat(ra io.ReaderAt) string {
	var m [4]byte
	if _, err := ra.ReadAt(m[:], 0); err != nil {
		return ""
	}
	switch {
	case bytes.Equal(m[:], []byte("\x7fELF")):
		return "elf"
	case m[0] == 'M' && m[1] == 'Z':
		return "pe"
	case bytes.Equal(m[:], []byte{0xfe, 0xed, 0xfa, 0xce}), bytes.Equal(m[:], []byte{0xfe, 0xed, 0xfa, 0xcf}),
		bytes.Equal(m[:], []byte{0xce, 0xfa, 0xed, 0xfe}), bytes.Equal(m[:], []byte{0xcf, 0xfa, 0xed, 0xfe}):
		return "macho"
	}
	return ""
}

func (goBinary) Catalog(_ context.Context, f *File) ([]Package, error) {
	ra, _, err := f.Open()
	if err != nil {
		return nil, err
	}
	switch execFormat(ra) {
	case "":
		return nil, errNotMine
	case "elf":
		// Go has put its build information in this section since Go
		// 1.13; without it there is nothing to search for.
		if ef := f.ELF(); ef == nil || ef.Section(".go.buildinfo") == nil {
			return nil, errNotMine
		}
	}
	bi, err := buildinfo.Read(ra)
	if err != nil {
		// Not a Go program, or one too old (before Go 1.13) or
		// stripped of its build information.
		return nil, errNotMine
	}
	return goBuildPackages(bi), nil
}

// goBuildSettings are the build settings kept as properties: what
// decides which code is in the binary (govulncheck filters by GOOS and
// GOARCH) and where it came from.
var goBuildSettings = map[string]bool{
	"GOOS": true, "GOARCH": true, "GOAMD64": true, "GOARM": true, "GOARM64": true, "GO386": true,
	"CGO_ENABLED": true, "-buildmode": true, "-tags": true, "-trimpath": true,
	"vcs": true, "vcs.revision": true, "vcs.time": true, "vcs.modified": true,
}

// goBuildPackages turns build information into packages: the main module
// (an application) depending on every linked module and on stdlib.
func goBuildPackages(bi *debug.BuildInfo) []Package {
	var props []Property
	for _, s := range bi.Settings {
		if goBuildSettings[s.Key] {
			props = append(props, Property{"golang:build:" + s.Key, s.Value})
		}
	}
	var out []Package
	std := goStdlibVersion(bi.GoVersion)
	if std != "" {
		p := Package{Ecosystem: Golang, Type: TypeLibrary, Name: "stdlib", Version: std,
			PURL: purl(Golang, "", "stdlib", std, nil), Key: "stdlib",
			Properties: []Property{{"golang:toolchain", bi.GoVersion}}}
		for _, pr := range props {
			if pr.Name == "golang:build:GOOS" || pr.Name == "golang:build:GOARCH" {
				p.Properties = append(p.Properties, pr)
			}
		}
		out = append(out, p)
	}
	var deps []string
	if std != "" {
		deps = append(deps, "stdlib")
	}
	for _, m := range bi.Deps {
		if m == nil {
			continue
		}
		p := goModule(m)
		if p.Name == "" {
			continue
		}
		if p.Version == "(devel)" && m.Replace == nil {
			// A work-tree module built into another's main package
			// ("go build FILES": the main is command-line-arguments).
			if v := moduleVersionFromLDFlags(buildSetting(bi, "-ldflags"), p.Name, false); v != "" {
				p.Version = v
				p.Properties = append(p.Properties, Property{"golang:version-from", "ldflags"})
				p.Key = p.Name + "@" + p.Version
				p.PURL = golangPURL(p.Name, p.Version)
			}
		}
		out = append(out, p)
		deps = append(deps, p.Key)
	}
	mainPath := bi.Main.Path
	if mainPath == "" {
		mainPath = bi.Path
	}
	if mainPath != "" {
		m := goModule(&bi.Main)
		m.Name, m.Key, m.Type = mainPath, "main", TypeApplication
		if m.Version == "(devel)" {
			// Built from a work tree: the version is what the build
			// stamped in or the commit's pseudo-version, else unknown.
			v, from := develMainVersion(bi, mainPath)
			m.Version = v
			if from != "" {
				m.Properties = append(m.Properties, Property{"golang:version-from", from})
			}
		}
		m.PURL = golangPURL(mainPath, m.Version)
		if bi.Path != "" && bi.Path != mainPath {
			m.Properties = append(m.Properties, Property{"golang:main-package", bi.Path})
		}
		m.Properties = append(m.Properties, props...)
		sort.Strings(deps)
		m.DependsOn = deps
		out = append([]Package{m}, out...)
	}
	return out
}

// goModule is one module of build information; a replaced module is
// reported as its replacement, the code actually linked.
func goModule(m *debug.Module) Package {
	p := Package{Ecosystem: Golang, Type: TypeLibrary, Name: m.Path, Version: m.Version}
	sum := m.Sum
	if r := m.Replace; r != nil {
		if r.Version == "" || r.Version == "(devel)" {
			// A directory replacement: the code is local, the module
			// keeps its name and required version.
			p.Properties = append(p.Properties, Property{"golang:replaced-by", r.Path})
		} else {
			p.Properties = append(p.Properties, Property{"golang:replaces", m.Path + "@" + m.Version})
			p.Name, p.Version, sum = r.Path, r.Version, r.Sum
		}
	}
	if sum != "" {
		p.Properties = append(p.Properties, Property{"golang:h1", sum})
	}
	p.Key = p.Name + "@" + p.Version
	p.PURL = golangPURL(p.Name, p.Version)
	return p
}

// golangPURL is pkg:golang/NAMESPACE/NAME@VERSION; a local replacement
// ("../x", no version) has no package URL.
func golangPURL(modPath, version string) string {
	if modPath == "" || strings.HasPrefix(modPath, ".") || strings.HasPrefix(modPath, "/") {
		return ""
	}
	ns, name := "", modPath
	if i := strings.LastIndexByte(modPath, '/'); i >= 0 {
		ns, name = modPath[:i], modPath[i+1:]
	}
	return purl(Golang, ns, name, version, nil)
}

// goStdlibVersion turns a toolchain version ("go1.22.3", "go1.21rc2",
// "go1.20", "go1.24.0 X:boringcrypto") into the semantic version OSV's Go
// database uses for stdlib ("v1.22.3", "v1.21.0-rc.2", "v1.20.0"). A
// vendor's build of a toolchain ("go1.22-20231128-RC02", Google's) keeps
// its suffix as a pre-release: v1.22.0-20231128-RC02 sorts before the
// release it precedes.
func goStdlibVersion(v string) string {
	v, _, _ = strings.Cut(strings.TrimSpace(v), " ")
	v, ok := strings.CutPrefix(v, "go")
	if !ok || v == "" {
		return ""
	}
	pre := ""
	if core, suffix, ok := strings.Cut(v, "-"); ok {
		if suffix == "" || !semver.IsValid("v0.0.0-"+suffix) {
			return ""
		}
		v, pre = core, "-"+suffix
	}
	for _, tag := range []string{"rc", "beta", "alpha"} {
		if i := strings.Index(v, tag); i > 0 {
			pre = "-" + tag + "." + v[i+len(tag):]
			v = v[:i]
			break
		}
	}
	parts := strings.Split(v, ".")
	if len(parts) > 3 {
		return ""
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return ""
		}
	}
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	return "v" + strings.Join(parts, ".") + pre
}
