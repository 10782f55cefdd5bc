package sbom

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// The formats Write knows.
const (
	FormatCycloneDXJSON = "cyclonedx-json" // CycloneDX 1.6 JSON
	FormatCycloneDXXML  = "cyclonedx-xml"  // CycloneDX 1.6 XML
	FormatSPDXJSON      = "spdx-json"      // SPDX 3.0.1 JSON-LD
	FormatSPDX23JSON    = "spdx23-json"    // SPDX 2.3 JSON, for consumers that have not moved on
)

// Formats lists the formats Write knows.
func Formats() []string {
	return []string{FormatCycloneDXJSON, FormatCycloneDXXML, FormatSPDXJSON, FormatSPDX23JSON}
}

// WriteOptions make the document reproducible.
type WriteOptions struct {
	// Time is the metadata timestamp (UTC, seconds); set it from
	// SOURCE_DATE_EPOCH for byte-identical output.
	Time time.Time
	// ToolVersion is cradle's version, recorded as the producing tool.
	ToolVersion string
	// Creator is who creates the SBOM (TR-03183-2 §5.2.1): an e-mail
	// address ("Name <a@b>" or "a@b") or a URL. Empty: not stated.
	Creator string
	// Files adds each package's files as components of their own
	// (nested under the package), each with its SHA-512.
	Files bool
}

// creator is the parsed WriteOptions.Creator.
type creator struct{ Name, Email, URL string }

// ParseCreator parses an SBOM creator: "Name <email>", an e-mail
// address, or an http(s) URL.
func ParseCreator(s string) (creator, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return creator{}, nil
	}
	if strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return creator{}, fmt.Errorf("creator %q: not a URL", s)
		}
		return creator{Name: u.Host, URL: s}, nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return creator{}, fmt.Errorf("creator %q: neither an e-mail address nor an http(s) URL", s)
	}
	if a.Name == "" {
		a.Name = a.Address
	}
	return creator{Name: a.Name, Email: a.Address}, nil
}

// Write renders b in format to w.
func (b *BOM) Write(w io.Writer, format string, o WriteOptions) error {
	switch format {
	case FormatCycloneDXJSON:
		return b.cycloneDX(w, o, cdx.BOMFileFormatJSON)
	case FormatCycloneDXXML:
		return b.cycloneDX(w, o, cdx.BOMFileFormatXML)
	case FormatSPDXJSON:
		return b.spdx3(w, o)
	case FormatSPDX23JSON:
		return b.spdx23(w, o)
	}
	return fmt.Errorf("unknown SBOM format %q", format)
}

// cycloneDX writes CycloneDX 1.6 JSON or XML. The serial number is
// derived from the content and the timestamp, so the same input gives the
// same bytes and a different BOM a different serial.
func (b *BOM) cycloneDX(w io.Writer, o WriteOptions, ff cdx.BOMFileFormat) error {
	cr, err := ParseCreator(o.Creator)
	if err != nil {
		return err
	}
	bom := cdx.NewBOM()
	bom.Metadata = &cdx.Metadata{
		Timestamp: o.Time.UTC().Truncate(time.Second).Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: "cradle", Version: o.ToolVersion,
		}}},
		Component: b.subject(),
	}
	if cr.Name != "" {
		m := &cdx.OrganizationalEntity{Name: cr.Name}
		if cr.URL != "" {
			m.URL = &[]string{cr.URL}
		} else {
			m.Contact = &[]cdx.OrganizationalContact{{Name: cr.Name, Email: cr.Email}}
		}
		bom.Metadata.Manufacturer = m
	}
	comps := make([]cdx.Component, 0, len(b.Components))
	deps := make([]cdx.Dependency, 0, len(b.Components)+1)
	top := make([]string, 0, len(b.Components))
	byAgg := map[cdx.CompositionAggregate][]cdx.BOMReference{}
	for _, c := range b.Components {
		comps = append(comps, component(c, o.Files))
		top = append(top, c.Ref)
		d := cdx.Dependency{Ref: c.Ref}
		if len(c.DependsOn) > 0 {
			on := append([]string(nil), c.DependsOn...)
			d.Dependencies = &on
		}
		deps = append(deps, d)
		if o.Files {
			for _, f := range c.Files {
				deps = append(deps, cdx.Dependency{Ref: fileRef(c.Ref, f)})
			}
		}
		agg := cdx.CompositionAggregateComplete
		if c.Manager == "rpm" {
			// File requirements resolve only when provided by name.
			agg = cdx.CompositionAggregateIncomplete
		}
		byAgg[agg] = append(byAgg[agg], cdx.BOMReference(c.Ref))
	}
	// TR-03183-2 asks for the completeness of the dependencies to be
	// stated: dpkg's and apk's relations resolve to the installed
	// packages; rpm's file requirements may not.
	var comps6 []cdx.Composition
	for _, agg := range []cdx.CompositionAggregate{cdx.CompositionAggregateComplete, cdx.CompositionAggregateIncomplete} {
		if refs := byAgg[agg]; len(refs) > 0 {
			comps6 = append(comps6, cdx.Composition{Aggregate: agg, Dependencies: &refs})
		}
	}
	if len(comps6) > 0 {
		bom.Compositions = &comps6
	}
	// The target contains every catalogued component.
	deps = append([]cdx.Dependency{{Ref: bom.Metadata.Component.BOMRef, Dependencies: &top}}, deps...)
	bom.Components = &comps
	bom.Dependencies = &deps

	// The serial number is derived from the JSON document without it,
	// hashed as it is encoded rather than held in memory.
	h := sha256.New()
	if err := encode(h, bom, cdx.BOMFileFormatJSON); err != nil {
		return err
	}
	bom.SerialNumber = "urn:uuid:" + sumUUID(h.Sum(nil))
	return encode(w, bom, ff)
}

// contentUUID is a name-based UUID (RFC 4122 layout) of b.
func contentUUID(b []byte) string {
	sum := sha256.Sum256(b)
	return sumUUID(sum[:])
}

// sumUUID lays a SHA-256 sum out as a name-based UUID.
func sumUUID(sum []byte) string {
	sum = slices.Clone(sum)
	sum[6] = sum[6]&0x0f | 0x50 // version 5 style: name-based
	sum[8] = sum[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
}

func encode(w io.Writer, bom *cdx.BOM, ff cdx.BOMFileFormat) error {
	if ff == cdx.BOMFileFormatJSON {
		// Compact JSON indented while it streams: encoding/json's own
		// indentation holds the whole document twice more.
		iw := newIndentWriter(w)
		if err := encodeWith(cdx.NewBOMEncoder(iw, ff).SetPretty(false), bom); err != nil {
			return err
		}
		return iw.Flush()
	}
	return encodeWith(cdx.NewBOMEncoder(w, ff).SetPretty(true), bom)
}

func encodeWith(enc cdx.BOMEncoder, bom *cdx.BOM) error {
	enc.SetEscapeHTML(false)
	// The BOM is built with 1.6's fields only and labelled 1.6 here:
	// EncodeVersion would deep-copy it (through gob) on every call, which
	// on a host with ten thousand components costs hundreds of MiB.
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.JSONSchema = "http://cyclonedx.org/schema/bom-1.6.schema.json"
	bom.XMLNS = "http://cyclonedx.org/schema/bom/1.6"
	if err := enc.Encode(bom); err != nil {
		return fmt.Errorf("encode CycloneDX: %w", err)
	}
	return nil
}

func (b *BOM) subject() *cdx.Component {
	typ := cdx.ComponentTypeOS
	switch b.Subject.Type {
	case TypeContainer:
		typ = cdx.ComponentTypeContainer
	case TypeApplication:
		typ = cdx.ComponentTypeApplication
	}
	c := &cdx.Component{BOMRef: "target", Type: typ, Name: b.Subject.Name, Version: b.Subject.Version,
		Description: b.Subject.OS}
	var props []cdx.Property
	for _, s := range b.Sources {
		props = append(props, cdx.Property{Name: "cradle:source", Value: s})
	}
	for _, g := range b.Gaps {
		props = append(props, cdx.Property{Name: "cradle:gap", Value: g})
	}
	for _, e := range b.Excluded {
		props = append(props, cdx.Property{Name: "cradle:excluded", Value: e})
	}
	if len(props) > 0 {
		c.Properties = &props
	}
	return c
}

func component(c Component, files bool) cdx.Component {
	out := cdx.Component{BOMRef: c.Ref, Type: cdx.ComponentTypeLibrary, Name: c.Name, Version: c.Version, PackageURL: c.PURL}
	switch c.Type {
	case TypeApplication:
		out.Type = cdx.ComponentTypeApplication
	case TypeFile:
		out.Type = cdx.ComponentTypeFile
	}
	if c.Supplier.Name != "" {
		out.Supplier = &cdx.OrganizationalEntity{Name: c.Supplier.Name}
		if c.Supplier.Email != "" {
			out.Supplier.Contact = &[]cdx.OrganizationalContact{{Email: c.Supplier.Email}}
		}
	}
	if c.License != "" {
		ack := cdx.LicenseAcknowledgementDeclared
		if expr, _ := componentLicense(c); expr != "" {
			out.Licenses = &cdx.Licenses{{Expression: expr, Acknowledgement: &ack}}
		} else {
			// Database licence fields are not always SPDX expressions
			// ("GPLv2+"): record those as named licences.
			out.Licenses = &cdx.Licenses{{License: &cdx.License{Name: c.License, Acknowledgement: ack}}}
		}
	}
	if hs := c.AllHashes(); len(hs) > 0 {
		out.Hashes = &[]cdx.Hash{}
		for _, h := range hs {
			*out.Hashes = append(*out.Hashes, cdx.Hash{Algorithm: cdx.HashAlgorithm(h.Alg), Value: h.Value})
		}
	}
	if c.Found != "" {
		out.Evidence = &cdx.Evidence{Occurrences: &[]cdx.EvidenceOccurrence{{Location: c.Found}}}
	}
	var props []cdx.Property
	if c.Manager != "" {
		props = append(props, cdx.Property{Name: "cradle:package:manager", Value: c.Manager})
	}
	for _, p := range c.Properties {
		props = append(props, cdx.Property{Name: p.Name, Value: p.Value})
	}
	for _, p := range bsiProperties(c) {
		props = append(props, cdx.Property{Name: p[0], Value: p[1]})
	}
	if len(c.Files) > 0 {
		props = append(props, cdx.Property{Name: "cradle:files", Value: fmt.Sprint(len(c.Files))})
	}
	for _, u := range unavailableList(c) {
		props = append(props, cdx.Property{Name: PropUnavailable, Value: u})
	}
	if len(props) > 0 {
		out.Properties = &props
	}
	if files && len(c.Files) > 0 {
		sub := make([]cdx.Component, 0, len(c.Files))
		for _, f := range c.Files {
			sub = append(sub, fileComponent(c.Ref, f))
		}
		out.Components = &sub
	}
	return out
}

func fileComponent(parent string, f File) cdx.Component {
	return cdx.Component{BOMRef: fileRef(parent, f), Type: cdx.ComponentTypeFile, Name: path.Base(f.Path),
		Hashes:   &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA512, Value: f.SHA512}},
		Evidence: &cdx.Evidence{Occurrences: &[]cdx.EvidenceOccurrence{{Location: f.Path}}},
		Properties: &[]cdx.Property{
			{Name: "bsi:component:filename", Value: path.Base(f.Path)},
			{Name: "bsi:component:executable", Value: executableWord(f.Executable)},
			{Name: "bsi:component:archive", Value: "no archive"},
			{Name: "bsi:component:structured", Value: "unstructured"},
		}}
}

func fileRef(parent string, f File) string { return parent + "#file:" + f.Path }

func executableWord(x bool) string {
	if x {
		return "executable"
	}
	return "non-executable"
}

// PropUnavailable is the property (CycloneDX) or comment line prefix
// (SPDX) that names a TR-03183-2 field the target cannot supply for a
// component, and why: "hash: dpkg file list not found".
const PropUnavailable = "cradle:unavailable"

// unavailableList is c.Unavailable as "field: reason", sorted.
func unavailableList(c Component) []string {
	out := make([]string, 0, len(c.Unavailable))
	for f, why := range c.Unavailable {
		out = append(out, f+": "+why)
	}
	sort.Strings(out)
	return out
}

// bsiProperties are TR-03183-2's component properties (the BSI's
// CycloneDX property taxonomy) cradle knows for a package: its hashed
// files say whether it is executable; an installed package is not an
// archive and is structured (its files are listed).
func bsiProperties(c Component) [][2]string {
	if c.Type == TypeFile && c.Manager == "" {
		// A file no package owns (the unpackaged-file cataloger).
		return [][2]string{{"bsi:component:filename", path.Base(c.Found)},
			{"bsi:component:executable", c.Executable},
			{"bsi:component:archive", "no archive"}, {"bsi:component:structured", "unstructured"}}
	}
	if c.Manager == "" && c.SHA512 != "" && hashedArchive(c) {
		// A Java archive: the deployable file is the archive itself.
		return [][2]string{{"bsi:component:filename", path.Base(c.Found)},
			{"bsi:component:executable", c.Executable},
			{"bsi:component:archive", "archive"}, {"bsi:component:structured", "structured"}}
	}
	if c.Manager == "" && len(c.Files) == 0 {
		return nil
	}
	var out [][2]string
	if c.Executable != "" {
		out = append(out, [2]string{"bsi:component:executable", c.Executable})
	}
	return append(out, [2]string{"bsi:component:archive", "no archive"}, [2]string{"bsi:component:structured", "structured"})
}
