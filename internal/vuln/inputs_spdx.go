package vuln

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// ReadSBOM reads the components of a JSON SBOM in any format cradle
// writes: CycloneDX, SPDX 2.x and SPDX 3.0 (JSON-LD). The format is told
// from the document, not the file name.
func ReadSBOM(r io.Reader) ([]Component, []Gap, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSBOM+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > MaxSBOM {
		return nil, nil, fmt.Errorf("SBOM over %d bytes", MaxSBOM)
	}
	var head struct {
		BOMFormat   string          `json:"bomFormat"`
		SPDXVersion string          `json:"spdxVersion"`
		Graph       json.RawMessage `json:"@graph"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, nil, fmt.Errorf("SBOM: not JSON (CycloneDX XML is not read: write CycloneDX or SPDX JSON): %w", err)
	}
	switch {
	case head.BOMFormat != "":
		return ReadCycloneDX(bytes.NewReader(data))
	case strings.HasPrefix(head.SPDXVersion, "SPDX-2."):
		return readSPDX2(data)
	case len(head.Graph) > 0:
		return readSPDX3(head.Graph)
	}
	return nil, nil, fmt.Errorf("SBOM: neither CycloneDX (bomFormat) nor SPDX 2.x (spdxVersion) nor SPDX 3 JSON-LD (@graph)")
}

// spdxComponent turns an SPDX package into a component; cradle writes its
// properties as "name: value" lines of the package comment, the source
// package among them.
func spdxComponent(name, version, purl, comment string) (Component, *Gap) {
	c, ok := FromPURL(purl)
	if !ok {
		return Component{}, &Gap{Package: Package{Name: name, Version: version, PURL: purl}, Reason: "no package URL of a known ecosystem"}
	}
	for _, line := range strings.Split(comment, "\n") {
		if v, ok := strings.CutPrefix(line, propSource+": "); ok && c.Source == "" {
			c.SetSource(v)
		}
	}
	return c, nil
}

func readSPDX2(data []byte) ([]Component, []Gap, error) {
	var doc struct {
		Packages []struct {
			Name         string `json:"name"`
			VersionInfo  string `json:"versionInfo"`
			Comment      string `json:"comment"`
			ExternalRefs []struct {
				Type    string `json:"referenceType"`
				Locator string `json:"referenceLocator"`
			} `json:"externalRefs"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("SPDX 2 SBOM: %w", err)
	}
	var comps []Component
	var gaps []Gap
	for _, p := range doc.Packages {
		purl := ""
		for _, r := range p.ExternalRefs {
			if r.Type == "purl" {
				purl = r.Locator
				break
			}
		}
		if c, g := spdxComponent(p.Name, p.VersionInfo, purl, p.Comment); g != nil {
			gaps = append(gaps, *g)
		} else {
			comps = append(comps, c)
		}
	}
	return comps, gaps, nil
}

func readSPDX3(graph json.RawMessage) ([]Component, []Gap, error) {
	var elems []struct {
		Type    string `json:"type"`
		Name    string `json:"name"`
		Version string `json:"software_packageVersion"`
		PURL    string `json:"software_packageUrl"`
		Comment string `json:"comment"`
		IDs     []struct {
			Type       string `json:"externalIdentifierType"`
			Identifier string `json:"identifier"`
		} `json:"externalIdentifier"`
	}
	if err := json.Unmarshal(graph, &elems); err != nil {
		return nil, nil, fmt.Errorf("SPDX 3 SBOM: %w", err)
	}
	var comps []Component
	var gaps []Gap
	for _, e := range elems {
		if e.Type != "software_Package" {
			continue
		}
		purl := e.PURL
		for _, id := range e.IDs {
			if purl == "" && id.Type == "packageUrl" {
				purl = id.Identifier
			}
		}
		if c, g := spdxComponent(e.Name, e.Version, purl, e.Comment); g != nil {
			gaps = append(gaps, *g)
		} else {
			comps = append(comps, c)
		}
	}
	return comps, gaps, nil
}
