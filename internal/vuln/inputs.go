package vuln

import (
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/cradle-cra/cradle/internal/vuln/version"
)

// MaxSBOM bounds an SBOM read as scan input.
const MaxSBOM = 256 << 20

type cdxComponent struct {
	Name       string         `json:"name"`
	Version    string         `json:"version"`
	PURL       string         `json:"purl"`
	Components []cdxComponent `json:"components"`
	Properties []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"properties"`
}

// propSource is the property cradle's SBOMs name a distribution
// package's source package with (sbom.PropSource); a purl's "upstream"
// qualifier (syft's) says the same.
const propSource = "cradle:package:source"

// ReadCycloneDX reads the components of a CycloneDX JSON SBOM (nested
// ones included). A component without a purl is a gap: it names no
// ecosystem to look it up in.
func ReadCycloneDX(r io.Reader) ([]Component, []Gap, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSBOM+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > MaxSBOM {
		return nil, nil, fmt.Errorf("SBOM over %d bytes", MaxSBOM)
	}
	var doc struct {
		BOMFormat  string         `json:"bomFormat"`
		Components []cdxComponent `json:"components"`
	}
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("SBOM: %w", err)
	}
	if doc.BOMFormat != "CycloneDX" {
		return nil, nil, fmt.Errorf("SBOM: not CycloneDX JSON (bomFormat %q)", doc.BOMFormat)
	}
	var comps []Component
	var gaps []Gap
	var walk func([]cdxComponent, int) error
	walk = func(cs []cdxComponent, depth int) error {
		if depth > 32 {
			return fmt.Errorf("SBOM: components nested over 32 deep")
		}
		for _, c := range cs {
			if comp, ok := FromPURL(c.PURL); ok {
				for _, p := range c.Properties {
					if p.Name == propSource && comp.Source == "" {
						comp.SetSource(p.Value)
					}
				}
				comps = append(comps, comp)
			} else {
				gaps = append(gaps, Gap{Package: Package{Name: c.Name, Version: c.Version, PURL: c.PURL}, Reason: "no package URL of a known ecosystem"})
			}
			if err := walk(c.Components, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return comps, gaps, walk(doc.Components, 0)
}

// IsGoBinary says whether the file at path carries Go build information.
func IsGoBinary(path string) bool {
	_, err := buildinfo.ReadFile(path)
	return err == nil
}

// GoBinary reads a Go binary's build information: the standard library at
// the toolchain's version (named "stdlib" as in OSV), every dependency
// module (replacements followed) and the main module when it has a
// version, all with the binary's GOOS/GOARCH.
func GoBinary(path string) ([]Component, error) {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a Go binary with build information: %w", path, err)
	}
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	add := func(comps []Component, name, v string) []Component {
		canon := version.GoCanonical(v)
		if canon == "" {
			return comps // "(devel)", or a local replacement without version
		}
		purlVer := "v" + canon
		return append(comps, Component{Name: name, Version: canon, Ecosystem: "Go", GOOS: goos, GOARCH: goarch,
			PURL: "pkg:golang/" + escapePath(name) + "@" + purlVer})
	}
	goVer, _, _ := strings.Cut(bi.GoVersion, " ") // "go1.22.1 X:boringcrypto"
	comps := add(nil, "stdlib", goVer)
	comps = add(comps, bi.Main.Path, bi.Main.Version)
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		comps = add(comps, d.Path, d.Version)
	}
	return comps, nil
}

// escapePath percent-encodes what a purl name segment may not hold.
func escapePath(p string) string {
	return strings.NewReplacer("@", "%40", "?", "%3F", "#", "%23", " ", "%20").Replace(p)
}
