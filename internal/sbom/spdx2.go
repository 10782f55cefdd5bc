package sbom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// spdxNamespace prefixes the document namespaces (SPDX 2.3) and ids
// (SPDX 3) cradle mints: the default SPDX suggests for creators without
// a site of their own, with a content-derived UUID.
const spdxNamespace = "https://spdx.org/spdxdocs/cradle-"

var spdxIDUnsafe = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// spdxIDs gives each component an SPDX 2.3 element id, unique and
// stable for the same BOM: its position and a sanitised name.
func (b *BOM) spdxIDs() []string {
	ids := make([]string, len(b.Components))
	for i, c := range b.Components {
		ids[i] = fmt.Sprintf("Package-%d-%s", i+1, strings.Trim(spdxIDUnsafe.ReplaceAllString(c.Name, "-"), "-"))
	}
	return ids
}

// commentLines are the facts SPDX has no field for, one a line: the
// TR-03183-2 fields the target cannot supply (PropUnavailable) and the
// BSI component properties.
func commentLines(c Component) string {
	var lines []string
	for _, p := range c.Properties {
		lines = append(lines, p.Name+": "+p.Value)
	}
	for _, p := range bsiProperties(c) {
		lines = append(lines, p[0]+": "+p[1])
	}
	for _, u := range unavailableList(c) {
		lines = append(lines, PropUnavailable+" "+u)
	}
	return strings.Join(lines, "\n")
}

// spdx23 writes SPDX 2.3 JSON with spdx/tools-golang. The target is a
// package the document describes and that contains every component;
// dependencies are DEPENDS_ON relationships, and a component without
// any DEPENDS_ON NONE, so completeness is stated. The namespace is
// derived from the content.
func (b *BOM) spdx23(w io.Writer, o WriteOptions) error {
	cr, err := ParseCreator(o.Creator)
	if err != nil {
		return err
	}
	creators := []common.Creator{{CreatorType: "Tool", Creator: "cradle-" + orUnknown(o.ToolVersion)}}
	switch {
	case cr.Email != "":
		creators = append(creators, common.Creator{CreatorType: "Organization", Creator: fmt.Sprintf("%s (%s)", cr.Name, cr.Email)})
	case cr.URL != "":
		creators = append(creators, common.Creator{CreatorType: "Organization", Creator: fmt.Sprintf("%s (%s)", cr.Name, cr.URL)})
	}
	doc := &spdx.Document{
		SPDXVersion: spdx.Version, DataLicense: spdx.DataLicense, SPDXIdentifier: "DOCUMENT",
		DocumentName: "cradle SBOM of " + b.Subject.Name,
		CreationInfo: &spdx.CreationInfo{Creators: creators, Created: o.Time.UTC().Truncate(time.Second).Format(time.RFC3339)},
	}
	rel := func(a, typ string, bID common.DocElementID) {
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA: common.MakeDocElementID("", a), RefB: bID, Relationship: typ})
	}
	noassert := "NOASSERTION"
	subject := &spdx.Package{PackageName: b.Subject.Name, PackageSPDXIdentifier: "Target", PackageVersion: b.Subject.Version,
		PackageDownloadLocation: noassert, PackageDescription: b.Subject.OS,
		PrimaryPackagePurpose: "OPERATING_SYSTEM", PackageComment: subjectComment(b)}
	switch b.Subject.Type {
	case TypeContainer:
		subject.PrimaryPackagePurpose = "CONTAINER"
	case TypeApplication:
		subject.PrimaryPackagePurpose = "APPLICATION"
	}
	doc.Packages = append(doc.Packages, subject)
	rel("DOCUMENT", "DESCRIBES", common.MakeDocElementID("", "Target"))

	ids := b.spdxIDs()
	byRef := map[string]string{}
	for i, c := range b.Components {
		byRef[c.Ref] = ids[i]
	}
	fileN := 0
	definedRefs := map[string]bool{}
	for i, c := range b.Components {
		p := &spdx.Package{PackageName: c.Name, PackageSPDXIdentifier: common.ElementID(ids[i]), PackageVersion: c.Version,
			PackageDownloadLocation: noassert, PackageLicenseConcluded: noassert, PackageCopyrightText: noassert,
			PrimaryPackagePurpose: spdx2Purpose[c.Type], PackageComment: commentLines(c)}
		if c.Supplier.Name != "" {
			s := c.Supplier.Name
			if c.Supplier.Email != "" {
				s += " (" + c.Supplier.Email + ")"
			}
			p.PackageSupplier = &common.Supplier{SupplierType: "Organization", Supplier: s}
		}
		p.PackageLicenseDeclared = noassert
		if c.License != "" {
			if expr, refs := componentLicense(c); expr != "" {
				p.PackageLicenseDeclared = expr
				// SPDX 2 wants every LicenseRef defined once.
				for _, id := range licenseRefs(refs) {
					if !definedRefs[id] {
						definedRefs[id] = true
						doc.OtherLicenses = append(doc.OtherLicenses, &spdx.OtherLicense{LicenseIdentifier: id, LicenseName: refs[id],
							ExtractedText: refs[id], LicenseComment: debianRefComment})
					}
				}
			} else {
				id := fmt.Sprintf("LicenseRef-cradle-%d", len(doc.OtherLicenses)+1)
				doc.OtherLicenses = append(doc.OtherLicenses, &spdx.OtherLicense{LicenseIdentifier: id, ExtractedText: c.License,
					LicenseComment: "as the package database states it; not an SPDX licence expression"})
				p.PackageLicenseDeclared = id
			}
		}
		for _, h := range c.AllHashes() {
			p.PackageChecksums = append(p.PackageChecksums, common.Checksum{Algorithm: spdx2Alg(h.Alg), Value: h.Value})
		}
		if c.Type == TypeFile && c.Found != "" {
			p.PackageFileName = "." + c.Found
		}
		if c.PURL != "" {
			p.PackageExternalReferences = []*spdx.PackageExternalReference{{Category: "PACKAGE-MANAGER", RefType: "purl", Locator: c.PURL}}
		}
		if c.Found != "" {
			p.PackageSourceInfo = "found in " + c.Found
		}
		doc.Packages = append(doc.Packages, p)
		rel("Target", "CONTAINS", common.MakeDocElementID("", ids[i]))
		if len(c.DependsOn) == 0 {
			rel(ids[i], "DEPENDS_ON", common.MakeDocElementSpecial("NONE"))
		}
		for _, d := range c.DependsOn {
			rel(ids[i], "DEPENDS_ON", common.MakeDocElementID("", byRef[d]))
		}
		if !o.Files {
			continue
		}
		for _, f := range c.Files {
			fileN++
			fid := fmt.Sprintf("File-%d", fileN)
			doc.Files = append(doc.Files, &spdx.File{FileName: "." + f.Path, FileSPDXIdentifier: common.ElementID(fid),
				Checksums: []common.Checksum{{Algorithm: common.SHA512, Value: f.SHA512}}, FileCopyrightText: noassert})
			rel(ids[i], "CONTAINS", common.MakeDocElementID("", fid))
		}
	}
	var buf bytes.Buffer
	doc.DocumentNamespace = spdxNamespace
	if err := encodeJSON(&buf, doc); err != nil {
		return fmt.Errorf("encode SPDX 2.3: %w", err)
	}
	doc.DocumentNamespace = spdxNamespace + contentUUID(buf.Bytes())
	buf.Reset()
	if err := encodeJSON(&buf, doc); err != nil {
		return fmt.Errorf("encode SPDX 2.3: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// spdx2Purpose is SPDX 2.3's primary package purpose of a component type.
var spdx2Purpose = map[string]string{TypeLibrary: "LIBRARY", TypeApplication: "APPLICATION", TypeFile: "FILE"}

// spdx2Alg is SPDX 2.3's name of a hash algorithm ("SHA-256" → SHA256).
func spdx2Alg(a string) common.ChecksumAlgorithm {
	return common.ChecksumAlgorithm(strings.ReplaceAll(a, "-", ""))
}

// subjectComment carries the databases read and the gaps, which
// CycloneDX has as properties.
func subjectComment(b *BOM) string {
	var lines []string
	for _, s := range b.Sources {
		lines = append(lines, "cradle:source "+s)
	}
	for _, g := range b.Gaps {
		lines = append(lines, "cradle:gap "+g)
	}
	for _, e := range b.Excluded {
		lines = append(lines, "cradle:excluded "+e)
	}
	return strings.Join(lines, "\n")
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// encodeJSON writes v as indented JSON, HTML characters as they are
// (the documents are not for browsers).
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
