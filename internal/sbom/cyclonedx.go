package sbom

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// FormatCycloneDXJSON is the CycloneDX 1.6 JSON format.
const FormatCycloneDXJSON = "cyclonedx-json"

// Formats lists the formats Write knows.
func Formats() []string { return []string{FormatCycloneDXJSON} }

// WriteOptions make the document reproducible.
type WriteOptions struct {
	// Time is the metadata timestamp (UTC, seconds); set it from
	// SOURCE_DATE_EPOCH for byte-identical output.
	Time time.Time
	// ToolVersion is cradle's version, recorded as the producing tool.
	ToolVersion string
}

// Write renders b in format to w.
func (b *BOM) Write(w io.Writer, format string, o WriteOptions) error {
	switch format {
	case FormatCycloneDXJSON:
		return b.cycloneDX(w, o)
	}
	return fmt.Errorf("unknown SBOM format %q", format)
}

// cycloneDX writes CycloneDX 1.6 JSON. The serial number is derived from
// the content and the timestamp, so the same input gives the same bytes
// and a different BOM a different serial.
func (b *BOM) cycloneDX(w io.Writer, o WriteOptions) error {
	bom := cdx.NewBOM()
	bom.Metadata = &cdx.Metadata{
		Timestamp: o.Time.UTC().Truncate(time.Second).Format(time.RFC3339),
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: "cradle", Version: o.ToolVersion,
		}}},
		Component: b.subject(),
	}
	comps := make([]cdx.Component, 0, len(b.Components))
	deps := make([]cdx.Dependency, 0, len(b.Components)+1)
	top := make([]string, 0, len(b.Components))
	for _, c := range b.Components {
		comps = append(comps, component(c))
		top = append(top, c.Ref)
		d := cdx.Dependency{Ref: c.Ref}
		if len(c.DependsOn) > 0 {
			on := append([]string(nil), c.DependsOn...)
			d.Dependencies = &on
		}
		deps = append(deps, d)
	}
	// The target contains every catalogued component.
	deps = append([]cdx.Dependency{{Ref: bom.Metadata.Component.BOMRef, Dependencies: &top}}, deps...)
	bom.Components = &comps
	bom.Dependencies = &deps

	var buf bytes.Buffer
	if err := encode(&buf, bom); err != nil {
		return err
	}
	sum := sha256.Sum256(buf.Bytes())
	sum[6] = sum[6]&0x0f | 0x50 // version 5 style: name-based
	sum[8] = sum[8]&0x3f | 0x80 // RFC 4122 variant
	bom.SerialNumber = fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
	buf.Reset()
	if err := encode(&buf, bom); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func encode(w io.Writer, bom *cdx.BOM) error {
	enc := cdx.NewBOMEncoder(w, cdx.BOMFileFormatJSON)
	enc.SetPretty(true).SetEscapeHTML(false)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
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
	if len(props) > 0 {
		c.Properties = &props
	}
	return c
}

func component(c Component) cdx.Component {
	out := cdx.Component{BOMRef: c.Ref, Type: cdx.ComponentTypeLibrary, Name: c.Name, Version: c.Version, PackageURL: c.PURL}
	switch c.Type {
	case TypeApplication:
		out.Type = cdx.ComponentTypeApplication
	case TypeFile:
		out.Type = cdx.ComponentTypeFile
	}
	if len(c.Hashes) > 0 {
		hs := make([]cdx.Hash, len(c.Hashes))
		for i, h := range c.Hashes {
			hs[i] = cdx.Hash{Algorithm: cdx.HashAlgorithm(h.Alg), Value: h.Value}
		}
		out.Hashes = &hs
	}
	if c.Supplier.Name != "" {
		out.Supplier = &cdx.OrganizationalEntity{Name: c.Supplier.Name}
		if c.Supplier.Email != "" {
			out.Supplier.Contact = &[]cdx.OrganizationalContact{{Email: c.Supplier.Email}}
		}
	}
	if c.License != "" {
		// Database licence fields are not always SPDX expressions
		// ("GPLv2+"): record them as named licences.
		out.Licenses = &cdx.Licenses{{License: &cdx.License{Name: c.License}}}
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
	if len(props) > 0 {
		out.Properties = &props
	}
	return out
}
