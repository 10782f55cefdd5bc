package sbom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	spdx3 "github.com/spdx/tools-golang/spdx/v3/v3_0"
)

// spdx3 writes SPDX 3.0.1 JSON-LD with spdx/tools-golang's 3.0 model
// (the v0.6 line, the only Go library that carries it). The document's
// root is a software_Sbom of type "deployed" whose root element is the
// target; the target CONTAINS every component, each component
// DEPENDS_ON its dependencies or, without any, on NoneElement, with
// completeness "complete" (TR-03183-2 asks for completeness to be
// stated). Element ids live under a content-derived document URI, so the
// same BOM gives the same bytes.
func (b *BOM) spdx3(w io.Writer, o WriteOptions) error {
	var buf bytes.Buffer
	if err := b.spdx3Doc(spdxNamespace+"00000000-0000-0000-0000-000000000000", o).ToJSON(&buf); err != nil {
		return fmt.Errorf("encode SPDX 3.0.1: %w", err)
	}
	first, err := canonicalGraph(buf.Bytes())
	if err != nil {
		return err
	}
	doc := b.spdx3Doc(spdxNamespace+contentUUID(first), o)
	buf.Reset()
	if err := doc.ToJSON(&buf); err != nil {
		return fmt.Errorf("encode SPDX 3.0.1: %w", err)
	}
	out, err := canonicalGraph(buf.Bytes())
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// spdxTerms is the SPDX 3.0.1 vocabulary.
const spdxTerms = "https://spdx.org/rdf/3.0.1/terms/"

// canonicalGraph makes the library's output deterministic: it emits the
// @graph and collections' element lists in map order, so the elements
// are sorted by id (spdxId, or @id for blank nodes) and the document
// indented with sorted keys. The vocabulary's own individuals
// (NoneElement), which the library writes out as graph elements, are
// dropped: they are defined by the SPDX model, not by the document.
func canonicalGraph(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("SPDX 3.0.1 output: %w", err)
	}
	if g, ok := doc["@graph"].([]any); ok {
		vocab := func(v any) bool { s, _ := v.(string); return strings.HasPrefix(s, spdxTerms) }
		kept := g[:0]
		for _, e := range g {
			m, _ := e.(map[string]any)
			if vocab(m["spdxId"]) {
				continue
			}
			if l, ok := m["element"].([]any); ok {
				l = slices.DeleteFunc(l, vocab)
				sort.Slice(l, func(i, j int) bool { return fmt.Sprint(l[i]) < fmt.Sprint(l[j]) })
				m["element"] = l
			}
			kept = append(kept, e)
		}
		g = kept
		doc["@graph"] = g
		key := func(v any) string {
			m, _ := v.(map[string]any)
			for _, k := range []string{"spdxId", "@id"} {
				if s, ok := m[k].(string); ok {
					return s
				}
			}
			return ""
		}
		sort.SliceStable(g, func(i, j int) bool { return key(g[i]) < key(g[j]) })
	}
	var out bytes.Buffer
	if err := encodeJSON(&out, doc); err != nil {
		return nil, fmt.Errorf("SPDX 3.0.1 output: %w", err)
	}
	return out.Bytes(), nil
}

func (b *BOM) spdx3Doc(base string, o WriteOptions) *spdx3.Document {
	cr, _ := ParseCreator(o.Creator) // validated by Write's caller path
	id := func(s string) string { return base + "#" + s }
	var by spdx3.AnyAgent = &spdx3.SoftwareAgent{ID: id("cradle"), Name: "cradle"}
	switch {
	case cr.Email != "":
		by = &spdx3.Organization{ID: id("Creator"), Name: cr.Name, ExternalIdentifiers: spdx3.ExternalIdentifierList{
			&spdx3.ExternalIdentifier{Type: spdx3.ExternalIdentifierType_Email, Identifier: cr.Email}}}
	case cr.URL != "":
		by = &spdx3.Organization{ID: id("Creator"), Name: cr.Name, ExternalIdentifiers: spdx3.ExternalIdentifierList{
			&spdx3.ExternalIdentifier{Type: spdx3.ExternalIdentifierType_UrlScheme, Identifier: cr.URL}}}
	}
	ci := &spdx3.CreationInfo{
		ID: "CreationInfo", SpecVersion: spdx3.Version, Created: o.Time.UTC().Truncate(time.Second),
		CreatedBy: spdx3.AgentList{by},
	}
	tool := &spdx3.Tool{ID: id("Tool-cradle"), Name: "cradle " + orUnknown(o.ToolVersion), CreationInfo: ci}
	ci.CreatedUsing = spdx3.ToolList{tool}
	by.SetCreationInfo(ci)
	complete := spdx3.RelationshipCompleteness_Complete
	// The library's NoneElement is a shared variable it would stamp with
	// this document's creation info: use a copy of our own.
	none := &spdx3.IndividualElement{ID: spdxTerms + "Core/NoneElement", CreationInfo: ci}
	subject := &spdx3.Package{ID: id("Target"), CreationInfo: ci, Name: b.Subject.Name, Version: b.Subject.Version,
		Description: b.Subject.OS, PrimaryPurpose: spdx3.SoftwarePurpose_OperatingSystem, Comment: subjectComment(b)}
	switch b.Subject.Type {
	case TypeContainer:
		subject.PrimaryPurpose = spdx3.SoftwarePurpose_Container
	case TypeApplication:
		subject.PrimaryPurpose = spdx3.SoftwarePurpose_Application
	}
	sbom := &spdx3.SBOM{ID: id("SBOM"), CreationInfo: ci, SbomTypes: []spdx3.SbomType{spdx3.SbomType_Deployed},
		ProfileConformances: []spdx3.ProfileIdentifierType{spdx3.ProfileIdentifierType_Core,
			spdx3.ProfileIdentifierType_Software, spdx3.ProfileIdentifierType_SimpleLicensing},
		RootElements: spdx3.ElementList{subject}}
	elems := spdx3.ElementList{subject}
	ids := b.spdxIDs()
	pkgs := make([]*spdx3.Package, len(b.Components))
	byRef := map[string]*spdx3.Package{}
	for i, c := range b.Components {
		p := &spdx3.Package{ID: id(ids[i]), CreationInfo: ci, Name: c.Name, Version: c.Version,
			PrimaryPurpose: spdx3Purpose[c.Type], Comment: commentLines(c)}
		if c.PURL != "" {
			p.PackageURL = spdx3.URI(c.PURL)
			p.ExternalIdentifiers = spdx3.ExternalIdentifierList{&spdx3.ExternalIdentifier{
				Type: spdx3.ExternalIdentifierType_PackageURL, Identifier: c.PURL}}
		}
		if c.Supplier.Name != "" {
			org := &spdx3.Organization{ID: id(ids[i] + "-supplier"), CreationInfo: ci, Name: c.Supplier.Name}
			if c.Supplier.Email != "" {
				org.ExternalIdentifiers = spdx3.ExternalIdentifierList{&spdx3.ExternalIdentifier{
					Type: spdx3.ExternalIdentifierType_Email, Identifier: c.Supplier.Email}}
			}
			p.SuppliedBy = org
		}
		for _, h := range c.AllHashes() {
			p.VerifiedUsing = append(p.VerifiedUsing, &spdx3.Hash{Algorithm: spdx3Alg[h.Alg], Value: h.Value})
		}
		pkgs[i] = p
		byRef[c.Ref] = p
		elems = append(elems, p)
	}
	rel := func(n string, from spdx3.AnyElement, typ spdx3.RelationshipType, to spdx3.ElementList) {
		r := &spdx3.Relationship{ID: id(n), CreationInfo: ci, From: from, Type: typ, To: to, Completeness: complete}
		elems = append(elems, r)
	}
	contained := make(spdx3.ElementList, len(pkgs))
	for i, p := range pkgs {
		contained[i] = p
	}
	rel("Target-contains", subject, spdx3.RelationshipType_Contains, contained)
	for i, c := range b.Components {
		to := spdx3.ElementList{}
		for _, d := range c.DependsOn {
			to = append(to, byRef[d])
		}
		if len(to) == 0 {
			to = spdx3.ElementList{none}
		}
		rel(ids[i]+"-dependsOn", pkgs[i], spdx3.RelationshipType_DependsOn, to)
		if c.License != "" {
			expr, refs := componentLicense(c)
			le := &spdx3.LicenseExpression{ID: id(ids[i] + "-license"), CreationInfo: ci, LicenseExpression: expr}
			if len(refs) > 0 {
				le.Comment = debianRefComment + ": " + c.License
			}
			if expr == "" {
				// Not an SPDX expression: a LicenseRef, with the
				// database's text as the comment.
				le.LicenseExpression = "LicenseRef-cradle-" + ids[i]
				le.Comment = c.License
			}
			elems = append(elems, le)
			rel(ids[i]+"-hasDeclaredLicense", pkgs[i], spdx3.RelationshipType_HasDeclaredLicense, spdx3.ElementList{le})
		}
		if o.Files && len(c.Files) > 0 {
			files := spdx3.ElementList{}
			for k, f := range c.Files {
				fe := &spdx3.File{ID: id(fmt.Sprintf("%s-file-%d", ids[i], k+1)), CreationInfo: ci, Name: f.Path,
					Kind: spdx3.FileKindType_File, PrimaryPurpose: spdx3.SoftwarePurpose_File,
					VerifiedUsing: spdx3.IntegrityMethodList{&spdx3.Hash{Algorithm: spdx3.HashAlgorithm_Sha512, Value: f.SHA512}}}
				files = append(files, fe)
				elems = append(elems, fe)
			}
			rel(ids[i]+"-contains", pkgs[i], spdx3.RelationshipType_Contains, files)
		}
	}
	sbom.Elements = elems
	doc := &spdx3.Document{SpdxDocument: spdx3.SpdxDocument{ID: base, Name: "cradle SBOM of " + b.Subject.Name,
		CreationInfo: ci, RootElements: spdx3.ElementList{sbom},
		ProfileConformances: sbom.ProfileConformances}}
	return doc
}

// spdx3Purpose is SPDX 3's primary purpose of a component type.
var spdx3Purpose = map[string]spdx3.SoftwarePurpose{TypeLibrary: spdx3.SoftwarePurpose_Library,
	TypeApplication: spdx3.SoftwarePurpose_Application, TypeFile: spdx3.SoftwarePurpose_File}

// spdx3Alg is SPDX 3's hash algorithm of the names cradle uses.
var spdx3Alg = map[string]spdx3.HashAlgorithm{"SHA-256": spdx3.HashAlgorithm_Sha256, "SHA-512": spdx3.HashAlgorithm_Sha512}
