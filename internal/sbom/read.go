package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// MaxDocSize bounds an SBOM read by Read: an input SBOM is untrusted,
// and the largest real ones (a distribution with per-file components)
// stay well below it.
const MaxDocSize = 256 << 20

// maxDocComponents bounds the components of a read SBOM, nested
// included, and maxDepth the nesting of CycloneDX components.
const (
	maxDocComponents = 2_000_000
	maxDepth         = 64
)

// Doc is an SBOM read back from a file of any supported format,
// reduced to what a TR-03183-2 check and a diff need.
type Doc struct {
	Format      string // "CycloneDX", "SPDX"
	SpecVersion string // "1.6", "2.3", "3.0.1"
	// Creators are the SBOM creator's e-mail addresses or URLs as the
	// document states them (tools do not count).
	Creators  []string
	Timestamp string
	// Primary names the component the SBOM describes (CycloneDX's
	// metadata component, what an SPDX document DESCRIBES or has as
	// root): the product, for a target cradle catalogues the root
	// filesystem or image. It is not among Components.
	Primary    string
	Components []DocComponent
}

// DocComponent is one component of a read SBOM.
type DocComponent struct {
	Ref, Name, Version string
	// Identifiers are its purl, CPE and SWID tag ids.
	Identifiers []string
	PURL        string
	// Creator is an e-mail address or URL of its supplier,
	// manufacturer or originator.
	Creator  string
	Licenses []string
	SHA512   string
	Filename string
	// Deps is true when the document states the component's direct
	// dependencies (an empty list counts: a leaf).
	Deps bool
	// BSI holds TR-03183-2's executable, archive and structured
	// properties where stated; nil when the format cannot express them.
	BSI map[string]string
	// Unavailable maps fields the producer says the target cannot supply
	// to why (cradle's cradle:unavailable).
	Unavailable map[string]string
	Nested      bool // part of another component (a file of a package)
}

// Read parses an SBOM: CycloneDX JSON or XML, SPDX 2.x JSON or SPDX 3
// JSON-LD. b must be at most MaxDocSize bytes.
func Read(b []byte) (*Doc, error) {
	if len(b) > MaxDocSize {
		return nil, fmt.Errorf("SBOM larger than %d MiB", MaxDocSize>>20)
	}
	t := bytes.TrimSpace(b)
	if bytes.HasPrefix(t, []byte("<")) {
		var bom cdx.BOM
		if err := cdx.NewBOMDecoder(bytes.NewReader(t), cdx.BOMFileFormatXML).Decode(&bom); err != nil {
			return nil, fmt.Errorf("CycloneDX XML: %w", err)
		}
		return fromCycloneDX(&bom)
	}
	var probe struct {
		BOMFormat   string          `json:"bomFormat"`
		SPDXVersion string          `json:"spdxVersion"`
		Context     json.RawMessage `json:"@context"`
	}
	if err := json.Unmarshal(t, &probe); err != nil {
		return nil, fmt.Errorf("not a JSON SBOM: %w", err)
	}
	switch {
	case probe.BOMFormat == "CycloneDX":
		var bom cdx.BOM
		if err := json.Unmarshal(t, &bom); err != nil {
			return nil, fmt.Errorf("CycloneDX JSON: %w", err)
		}
		return fromCycloneDX(&bom)
	case strings.HasPrefix(probe.SPDXVersion, "SPDX-2"):
		return readSPDX2(t)
	case bytes.Contains(probe.Context, []byte("spdx.org/rdf/3")):
		return readSPDX3(t)
	}
	return nil, errors.New("neither CycloneDX (bomFormat) nor SPDX 2 (spdxVersion) nor SPDX 3 (@context)")
}

func fromCycloneDX(bom *cdx.BOM) (*Doc, error) {
	d := &Doc{Format: "CycloneDX", SpecVersion: bom.SpecVersion.String()}
	if m := bom.Metadata; m != nil {
		d.Timestamp = m.Timestamp
		if m.Component != nil {
			d.Primary = m.Component.Name
		}
		for _, e := range []*cdx.OrganizationalEntity{m.Manufacturer, m.Manufacture, m.Supplier} {
			if c := entityContact(e); c != "" {
				d.Creators = append(d.Creators, c)
			}
		}
		if m.Authors != nil {
			for _, a := range *m.Authors {
				if a.Email != "" {
					d.Creators = append(d.Creators, a.Email)
				}
			}
		}
	}
	deps := map[string]bool{}
	if bom.Dependencies != nil {
		for _, dep := range *bom.Dependencies {
			deps[dep.Ref] = true
		}
	}
	var walk func(cs *[]cdx.Component, depth int, nested bool) error
	walk = func(cs *[]cdx.Component, depth int, nested bool) error {
		if cs == nil {
			return nil
		}
		if depth > maxDepth {
			return fmt.Errorf("components nested deeper than %d", maxDepth)
		}
		for i := range *cs {
			c := &(*cs)[i]
			if len(d.Components) >= maxDocComponents {
				return fmt.Errorf("more than %d components", maxDocComponents)
			}
			d.Components = append(d.Components, cdxComponent(c, deps, nested))
			if err := walk(c.Components, depth+1, true); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(bom.Components, 0, false); err != nil {
		return nil, err
	}
	return d, nil
}

func cdxComponent(c *cdx.Component, deps map[string]bool, nested bool) DocComponent {
	out := DocComponent{Ref: c.BOMRef, Name: c.Name, Version: c.Version, PURL: c.PackageURL, Deps: nested || (c.BOMRef != "" && deps[c.BOMRef]),
		BSI: map[string]string{}, Nested: nested}
	for _, id := range []string{c.PackageURL, c.CPE} {
		if id != "" {
			out.Identifiers = append(out.Identifiers, id)
		}
	}
	if c.SWID != nil && c.SWID.TagID != "" {
		out.Identifiers = append(out.Identifiers, c.SWID.TagID)
	}
	for _, e := range []*cdx.OrganizationalEntity{c.Supplier, c.Manufacturer} {
		if v := entityContact(e); v != "" && out.Creator == "" {
			out.Creator = v
		}
	}
	if out.Creator == "" && c.Authors != nil {
		for _, a := range *c.Authors {
			if a.Email != "" {
				out.Creator = a.Email
				break
			}
		}
	}
	if c.Licenses != nil {
		for _, l := range *c.Licenses {
			switch {
			case l.Expression != "":
				out.Licenses = append(out.Licenses, l.Expression)
			case l.License != nil && l.License.ID != "":
				out.Licenses = append(out.Licenses, l.License.ID)
			case l.License != nil && l.License.Name != "":
				out.Licenses = append(out.Licenses, l.License.Name)
			}
		}
	}
	out.SHA512 = sha512Of(c.Hashes)
	if out.SHA512 == "" && c.ExternalReferences != nil {
		for _, r := range *c.ExternalReferences {
			if r.Type == cdx.ERTypeDistribution {
				if h := sha512Of(r.Hashes); h != "" {
					out.SHA512 = h
					break
				}
			}
		}
	}
	if c.Properties != nil {
		for _, p := range *c.Properties {
			switch p.Name {
			case "bsi:component:filename":
				out.Filename = p.Value
			case "bsi:component:executable", "bsi:component:archive", "bsi:component:structured":
				out.BSI[strings.TrimPrefix(p.Name, "bsi:component:")] = p.Value
			case PropUnavailable:
				out.addUnavailable(p.Value)
			}
		}
	}
	return out
}

func sha512Of(hs *[]cdx.Hash) string {
	if hs == nil {
		return ""
	}
	for _, h := range *hs {
		if h.Algorithm == cdx.HashAlgoSHA512 && h.Value != "" {
			return h.Value
		}
	}
	return ""
}

// entityContact is an e-mail address or URL of e, "" when it has none.
func entityContact(e *cdx.OrganizationalEntity) string {
	if e == nil {
		return ""
	}
	if e.Contact != nil {
		for _, c := range *e.Contact {
			if c.Email != "" {
				return c.Email
			}
		}
	}
	if e.URL != nil && len(*e.URL) > 0 {
		return (*e.URL)[0]
	}
	return ""
}

// addUnavailable records "field: reason".
func (c *DocComponent) addUnavailable(v string) {
	field, why, ok := strings.Cut(v, ": ")
	if !ok {
		return
	}
	if c.Unavailable == nil {
		c.Unavailable = map[string]string{}
	}
	c.Unavailable[strings.TrimSpace(field)] = why
}

// commentFacts reads the lines cradle writes into SPDX comments.
func (c *DocComponent) commentFacts(comment string) {
	for _, line := range strings.Split(comment, "\n") {
		if v, ok := strings.CutPrefix(line, PropUnavailable+" "); ok {
			c.addUnavailable(v)
		} else if v, ok := strings.CutPrefix(line, "bsi:component:"); ok {
			if k, val, ok := strings.Cut(v, ": "); ok {
				if k == FieldFilename {
					c.Filename = val
					continue
				}
				if c.BSI == nil {
					c.BSI = map[string]string{}
				}
				c.BSI[k] = val
			}
		}
	}
}

// contactIn finds an e-mail address or URL in an SPDX 2 agent string
// ("Organization: Name (a@b)").
func contactIn(s string) string {
	if i, j := strings.LastIndex(s, "("), strings.LastIndex(s, ")"); i >= 0 && j > i {
		if v := strings.TrimSpace(s[i+1 : j]); isContact(v) {
			return v
		}
	}
	for _, w := range strings.Fields(s) {
		if w = strings.Trim(w, "<>(),"); isContact(w) {
			return w
		}
	}
	return ""
}

func isContact(s string) bool {
	return strings.Contains(s, "://") || (strings.Contains(s, "@") && !strings.ContainsAny(s, " \t"))
}

type spdx2Checksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

type spdx2Input struct {
	SPDXVersion  string `json:"spdxVersion"`
	CreationInfo struct {
		Creators []string `json:"creators"`
		Created  string   `json:"created"`
	} `json:"creationInfo"`
	Packages []struct {
		SPDXID           string          `json:"SPDXID"`
		Name             string          `json:"name"`
		Version          string          `json:"versionInfo"`
		FileName         string          `json:"packageFileName"`
		Supplier         string          `json:"supplier"`
		Originator       string          `json:"originator"`
		LicenseConcluded string          `json:"licenseConcluded"`
		LicenseDeclared  string          `json:"licenseDeclared"`
		Checksums        []spdx2Checksum `json:"checksums"`
		ExternalRefs     []struct {
			Category string `json:"referenceCategory"`
			Type     string `json:"referenceType"`
			Locator  string `json:"referenceLocator"`
		} `json:"externalRefs"`
		Comment string `json:"comment"`
	} `json:"packages"`
	Files []struct {
		SPDXID           string          `json:"SPDXID"`
		FileName         string          `json:"fileName"`
		Checksums        []spdx2Checksum `json:"checksums"`
		LicenseConcluded string          `json:"licenseConcluded"`
		LicenseInFiles   []string        `json:"licenseInfoInFiles"`
		Comment          string          `json:"comment"`
	} `json:"files"`
	Relationships []struct {
		A    string `json:"spdxElementId"`
		B    string `json:"relatedSpdxElement"`
		Type string `json:"relationshipType"`
	} `json:"relationships"`
}

// realLicense is a licence value that says something.
func realLicense(l string) bool {
	return l != "" && l != "NOASSERTION" && l != "NONE"
}

func readSPDX2(b []byte) (*Doc, error) {
	var in spdx2Input
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("SPDX 2 JSON: %w", err)
	}
	if len(in.Packages)+len(in.Files) > maxDocComponents {
		return nil, fmt.Errorf("more than %d components", maxDocComponents)
	}
	d := &Doc{Format: "SPDX", SpecVersion: strings.TrimPrefix(in.SPDXVersion, "SPDX-"), Timestamp: in.CreationInfo.Created}
	for _, c := range in.CreationInfo.Creators {
		if t, v, _ := strings.Cut(c, ":"); strings.TrimSpace(t) != "Tool" {
			if contact := contactIn(v); contact != "" {
				d.Creators = append(d.Creators, contact)
			}
		}
	}
	deps, contained, described := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, r := range in.Relationships {
		switch r.Type {
		case "DESCRIBES":
			if r.A == "SPDXRef-DOCUMENT" {
				described[r.B] = true
			}
		case "DEPENDS_ON":
			deps[r.A] = true
		case "DEPENDENCY_OF":
			deps[r.B] = true
		case "CONTAINS":
			contained[r.B] = true
		case "CONTAINED_BY":
			contained[r.A] = true
		}
	}
	for _, p := range in.Packages {
		if described[p.SPDXID] && d.Primary == "" {
			d.Primary = p.Name
			continue
		}
		c := DocComponent{Ref: p.SPDXID, Name: p.Name, Version: p.Version, Filename: p.FileName, Deps: deps[p.SPDXID]}
		for _, s := range []string{p.Supplier, p.Originator} {
			if v := contactIn(s); v != "" && c.Creator == "" {
				c.Creator = v
			}
		}
		for _, l := range []string{p.LicenseConcluded, p.LicenseDeclared} {
			if realLicense(l) {
				c.Licenses = append(c.Licenses, l)
			}
		}
		for _, h := range p.Checksums {
			if h.Algorithm == "SHA512" {
				c.SHA512 = h.Value
			}
		}
		for _, r := range p.ExternalRefs {
			switch r.Type {
			case "purl":
				c.PURL = r.Locator
				c.Identifiers = append(c.Identifiers, r.Locator)
			case "cpe22Type", "cpe23Type", "swid":
				c.Identifiers = append(c.Identifiers, r.Locator)
			}
		}
		c.commentFacts(p.Comment)
		d.Components = append(d.Components, c)
	}
	for _, f := range in.Files {
		c := DocComponent{Ref: f.SPDXID, Name: f.FileName, Filename: path.Base(f.FileName), Nested: contained[f.SPDXID],
			Deps: deps[f.SPDXID] || contained[f.SPDXID]}
		if realLicense(f.LicenseConcluded) {
			c.Licenses = append(c.Licenses, f.LicenseConcluded)
		}
		for _, h := range f.Checksums {
			if h.Algorithm == "SHA512" {
				c.SHA512 = h.Value
			}
		}
		c.commentFacts(f.Comment)
		d.Components = append(d.Components, c)
	}
	return d, nil
}
