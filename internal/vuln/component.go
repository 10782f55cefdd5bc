// Package vuln matches software components against the local OSV database
// (internal/vuln/db) with each ecosystem's version semantics, merges the
// records that describe one vulnerability, rates severity from CVSS
// vectors, marks known-exploited vulnerabilities (CISA KEV), applies VEX
// statements and decides the release gate. Its report is the vuln_report
// document.
package vuln

import (
	"net/url"
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/cradle-cra/cradle/internal/vuln/version"
)

// Component is one package to look up.
type Component struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Ecosystem string `json:"ecosystem"` // OSV ecosystem ("Go", "Debian:12"); "" when unknown
	PURL      string `json:"purl,omitempty"`
	// Source is a distribution package's source package (dpkg Source,
	// apk origin), under which Debian, Ubuntu and Alpine advisories name
	// it; SourceVersion its version when it differs (binNMUs).
	Source        string `json:"-"`
	SourceVersion string `json:"-"`
	// GOOS and GOARCH are a Go binary's platform (build settings): records
	// limited to other platforms do not apply.
	GOOS   string `json:"-"`
	GOARCH string `json:"-"`
}

// purlEcosystems maps purl types to OSV ecosystems; distribution types
// take theirs from the namespace.
var purlEcosystems = map[string]string{
	"golang": "Go", "npm": "npm", "pypi": "PyPI", "cargo": "crates.io", "maven": "Maven", "gem": "RubyGems",
	"nuget": "NuGet", "composer": "Packagist", "hex": "Hex", "pub": "Pub", "swift": "SwiftURL",
}

var distroEcosystems = map[string]string{
	"debian": "Debian", "ubuntu": "Ubuntu", "alpine": "Alpine", "wolfi": "Wolfi", "redhat": "Red Hat",
	"rocky": "Rocky Linux", "almalinux": "AlmaLinux", "opensuse": "openSUSE", "suse": "SUSE",
}

// FromPURL derives the OSV package of a package URL: ecosystem, name as
// OSV spells it (Go module path, Maven group:artifact, npm @scope/name)
// and version (Go without "v", Debian/RPM with the epoch qualifier folded
// in). ok is false for a purl that does not parse or whose type has no
// OSV ecosystem.
func FromPURL(purl string) (c Component, ok bool) {
	p, err := packageurl.FromString(strings.TrimSpace(purl))
	if err != nil {
		return Component{PURL: purl}, false
	}
	q := p.Qualifiers.Map()
	c = Component{Name: p.Name, Version: p.Version, PURL: purl, GOOS: q["goos"], GOARCH: q["goarch"]}
	switch p.Type {
	case "deb", "apk", "rpm":
		c.Ecosystem = distroEcosystems[strings.ToLower(p.Namespace)]
		if e := q["epoch"]; e != "" && !strings.Contains(c.Version, ":") {
			c.Version = e + ":" + c.Version
		}
		// syft and others write the source package as "upstream".
		c.SetSource(q["upstream"])
		if rel := distroRelease(q["distro"]); rel != "" && c.Ecosystem != "" {
			if c.Ecosystem == "Alpine" {
				// OSV names Alpine branches: 3.18.4 → v3.18.
				parts := strings.SplitN(rel, ".", 3)
				rel = "v" + strings.Join(parts[:min(2, len(parts))], ".")
			}
			c.Ecosystem += ":" + rel
		}
	case "golang":
		// Go module paths are case-sensitive (github.com/BurntSushi/toml)
		// and the Go database spells them exactly; packageurl-go lowers
		// golang namespaces and names as the old purl type text said.
		c.Ecosystem = "Go"
		c.Name = goModulePath(purl, p.Namespace, p.Name)
	default:
		c.Ecosystem = purlEcosystems[p.Type]
		if p.Namespace != "" {
			sep := "/"
			if p.Type == "maven" {
				sep = ":"
			}
			c.Name = p.Namespace + sep + p.Name
		}
	}
	if c.Ecosystem == "Go" {
		if c.Name == "stdlib" || c.Name == "toolchain" {
			c.Name = "stdlib"
		}
		if v := version.GoCanonical(c.Version); v != "" {
			c.Version = v
		}
	}
	return c, c.Ecosystem != ""
}

// goModulePath is the module path of a golang purl as written in it
// (percent-decoded), falling back to the parsed, lowered one when the
// two differ in more than case.
func goModulePath(raw, ns, name string) string {
	parsed := name
	if ns != "" {
		parsed = ns + "/" + name
	}
	s := strings.TrimSpace(raw)
	if len(s) < len("pkg:golang/") || !strings.EqualFold(s[:len("pkg:golang/")], "pkg:golang/") {
		return parsed
	}
	s = strings.TrimLeft(s[len("pkg:golang/"):], "/")
	if i := strings.IndexAny(s, "@?#"); i >= 0 {
		s = s[:i]
	}
	segs := strings.Split(strings.Trim(s, "/"), "/")
	for i, seg := range segs {
		d, err := url.PathUnescape(seg)
		if err != nil {
			return parsed
		}
		segs[i] = d
	}
	if p := strings.Join(segs, "/"); strings.EqualFold(p, parsed) {
		return p
	}
	return parsed
}

// distroRelease takes the release from a purl distro qualifier
// ("debian-12" → "12", "alpine-3.18.4" → "3.18.4"; "bookworm" stays
// unknown).
func distroRelease(d string) string {
	if i := strings.LastIndexByte(d, '-'); i >= 0 {
		d = d[i+1:]
	}
	if d == "" || strings.Trim(d, "0123456789.") != "" {
		return ""
	}
	return d
}

// PURLKey normalises a purl for comparing (VEX products with components):
// decoded, type and namespace lower case, qualifiers other than the
// epoch dropped, the epoch folded into the version.
func PURLKey(purl string) string {
	p, err := packageurl.FromString(strings.TrimSpace(purl))
	if err != nil {
		s, _ := url.PathUnescape(purl)
		return s
	}
	v := p.Version
	if e := p.Qualifiers.Map()["epoch"]; e != "" && !strings.Contains(v, ":") {
		v = e + ":" + v
	}
	if p.Type == "golang" {
		v = strings.TrimPrefix(v, "v")
	}
	k := strings.ToLower(p.Type) + "/" + strings.ToLower(p.Namespace) + "/" + p.Name
	if v != "" {
		k += "@" + v
	}
	return k
}

// SetSource records a source package as the package databases write it:
// dpkg "glibc" or "glibc (2.36-9)", apk's origin, rpm's source RPM file
// name ("openssl-3.0.7-27.el9.src.rpm", whose version and release match
// the binary's: only the name is kept).
func (c *Component) SetSource(src string) {
	src = strings.TrimSpace(src)
	if n, ok := strings.CutSuffix(src, ".src.rpm"); ok {
		// NAME-VERSION-RELEASE: the name may itself contain dashes.
		if i := strings.LastIndexByte(n, '-'); i > 0 {
			if j := strings.LastIndexByte(n[:i], '-'); j > 0 {
				src = n[:j]
			}
		}
	}
	name, ver, _ := strings.Cut(src, " ")
	if name == "" || name == c.Name && ver == "" {
		return
	}
	c.Source = name
	c.SourceVersion = strings.Trim(ver, "()")
}
