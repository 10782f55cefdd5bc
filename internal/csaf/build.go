package csaf

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/casestore"
	"github.com/cradle-cra/cradle/internal/product"
	"github.com/cradle-cra/cradle/internal/vuln"
)

// Input is what a case's advisory is built from.
type Input struct {
	Case    *casestore.Case
	Product *product.File
	// Severity is the case's computed severity (psirt.Rate).
	Severity string
	// Impact states why products are not affected (the reason a case was
	// closed as not_affected or rejected with).
	Impact string
	// Tracking is the document's status, version and history (Track).
	Tracking Tracking
	Engine   Engine
}

// Check says what the product file lacks for a CSAF publisher.
func Check(p *product.File) error {
	var miss []string
	if p.Manufacturer.Website == "" {
		miss = append(miss, "manufacturer.website (the CSAF publisher namespace)")
	}
	if p.Security.Contact == "" {
		miss = append(miss, "security.contact")
	}
	if len(miss) > 0 {
		return fmt.Errorf("the product file lacks %s", strings.Join(miss, " and "))
	}
	return nil
}

// TrackingID is the document's id: the case id, with "-VEX" for the VEX
// document (ids are unique per publisher).
func TrackingID(caseID, profile string) string {
	if profile == ProfileVEX {
		return caseID + "-VEX"
	}
	return caseID
}

// FileName is the file name CSAF section 5.1 derives from a tracking id:
// lower case, every character other than a-z, 0-9, +, - replaced by _.
func FileName(id string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(id) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String() + ".json"
}

// Build makes the document of one profile.
func Build(in Input, profile string) (*Document, error) {
	if profile != ProfileAdvisory && profile != ProfileVEX {
		return nil, fmt.Errorf("profile %q: want %s or %s", profile, ProfileAdvisory, ProfileVEX)
	}
	if err := Check(in.Product); err != nil {
		return nil, err
	}
	c, p := in.Case, in.Product
	if c.Resolution == "duplicate" {
		return nil, errors.New(c.ID + " was closed as a duplicate: publish the advisory of the case it duplicates")
	}
	for _, v := range c.FixedVersions {
		if slices.Contains(c.Versions, v) {
			return nil, fmt.Errorf("%s: version %s is recorded both as affected and as fixed", c.ID, v)
		}
	}
	tree, ids := productTree(c, p)
	title := c.Title
	if profile == ProfileVEX {
		title = "VEX: " + title
	}
	tr := in.Tracking
	tr.ID = TrackingID(c.ID, profile)
	tr.Generator = &Generator{Date: tr.CurrentReleaseDate, Engine: in.Engine}
	base := strings.TrimSuffix(p.Manufacturer.Website, "/")
	year := tr.InitialReleaseDate[:4]
	d := &Document{
		Document: Meta{
			Category: profile, CSAFVersion: Version, Lang: "en", Title: title, Tracking: tr,
			Distribution: &Distribution{TLP: &TLP{Label: "WHITE", URL: "https://www.first.org/tlp/"}},
			Publisher: Publisher{Category: "vendor", Name: p.Manufacturer.Name, Namespace: base,
				ContactDetails: contactDetails(p)},
			Notes: []Note{{Category: "summary", Title: "Summary", Text: summary(c, p, in.Severity)}},
			References: []Reference{{Category: "self", Summary: "This document",
				URL: base + "/.well-known/csaf/white/" + year + "/" + FileName(tr.ID)}},
		},
		ProductTree: tree,
	}
	if in.Severity != "" && in.Severity != vuln.SeverityUnknown {
		d.Document.AggregateSeverity = &AggregateSeverity{Text: in.Severity}
	}
	for _, r := range []struct{ url, what string }{{p.Security.Advisories, "Security advisories of " + p.Manufacturer.Name},
		{p.Security.CVDPolicy, "Coordinated vulnerability disclosure policy"}} {
		if r.url != "" {
			d.Document.References = append(d.Document.References, Reference{Category: "external", Summary: r.what, URL: r.url})
		}
	}
	v, err := vulnerability(in, ids)
	if err != nil {
		return nil, err
	}
	d.Vulnerabilities = []Vulnerability{v}
	return d, nil
}

func contactDetails(p *product.File) string {
	s := "Security contact: " + p.Security.Contact
	if p.Security.CVDPolicy != "" {
		s += "; disclosure policy: " + p.Security.CVDPolicy
	}
	return s
}

func summary(c *casestore.Case, p *product.File, sev string) string {
	s := fmt.Sprintf("%s in %s.", c.Title, productName(c, p))
	if sev != "" && sev != vuln.SeverityUnknown {
		s += " Severity: " + sev + "."
	}
	if c.Exploited {
		s += " The vulnerability is actively exploited."
	}
	return s
}

func productName(c *casestore.Case, p *product.File) string {
	if c.Product != "" {
		return c.Product
	}
	return p.Product.Name
}

// productIDs are the ids the product tree defined, by role.
type productIDs struct {
	affected []string // affected versions (or the product) and the components in them
	fixed    []string
	// components maps a component purl to its relationship ids.
	components map[string][]string
}

func productTree(c *casestore.Case, p *product.File) (*ProductTree, productIDs) {
	name := productName(c, p)
	ids := productIDs{components: map[string][]string{}}
	n := 0
	next := func() string { n++; return fmt.Sprintf("CSAFPID-%04d", n) }
	prod := Branch{Category: "product_name", Name: name}
	var affected []FullProductName
	if len(c.Versions)+len(c.FixedVersions) == 0 {
		fpn := FullProductName{Name: name, ProductID: next(), ProductIdentificationHelper: helper(p, name, "")}
		prod.Product = &fpn
		affected = append(affected, fpn)
	}
	for _, list := range []struct {
		versions []string
		fixed    bool
	}{{c.Versions, false}, {c.FixedVersions, true}} {
		for _, ver := range list.versions {
			fpn := FullProductName{Name: name + " " + ver, ProductID: next(), ProductIdentificationHelper: helper(p, name, ver)}
			prod.Branches = append(prod.Branches, Branch{Category: "product_version", Name: ver, Product: &fpn})
			if list.fixed {
				ids.fixed = append(ids.fixed, fpn.ProductID)
			} else {
				affected = append(affected, fpn)
			}
		}
	}
	tree := &ProductTree{Branches: []Branch{{Category: "vendor", Name: p.Manufacturer.Name, Branches: []Branch{prod}}}}
	for _, a := range affected {
		ids.affected = append(ids.affected, a.ProductID)
	}
	for _, comp := range c.Components {
		cname := componentName(comp)
		fpn := FullProductName{Name: cname, ProductID: next()}
		if strings.HasPrefix(comp, "pkg:") {
			fpn.ProductIdentificationHelper = &Helper{PURL: comp}
		}
		tree.FullProductNames = append(tree.FullProductNames, fpn)
		for _, a := range affected {
			rid := next()
			tree.Relationships = append(tree.Relationships, Relationship{Category: "default_component_of",
				FullProductName:  FullProductName{Name: cname + " as a component of " + a.Name, ProductID: rid},
				ProductReference: fpn.ProductID, RelatesToProductReference: a.ProductID})
			ids.affected = append(ids.affected, rid)
			ids.components[comp] = append(ids.components[comp], rid)
		}
	}
	return tree, ids
}

// helper identifies one version of the product by the product file's CPE
// and package URL, the version filled in.
func helper(p *product.File, name, ver string) *Helper {
	var h Helper
	if c := p.Product.CPE; c != "" && name == p.Product.Name {
		parts := strings.Split(c, ":")
		for len(parts) < 13 {
			parts = append(parts, "*")
		}
		if ver != "" {
			parts[5] = cpeEscape(ver)
		}
		h.CPE = strings.Join(parts[:13], ":")
	}
	if u := p.Product.PURL; u != "" && name == p.Product.Name {
		h.PURL = u
		if ver != "" {
			h.PURL += "@" + url.PathEscape(ver)
		}
	}
	if h == (Helper{}) {
		return nil
	}
	return &h
}

// cpeEscape quotes the characters CPE 2.3 formatted strings escape.
func cpeEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// componentName is "name version" of a package URL (or the string).
func componentName(purl string) string {
	s, _, _ := strings.Cut(purl, "?")
	s, _, _ = strings.Cut(s, "#")
	if i := strings.LastIndex(s, "/"); i >= 0 && strings.HasPrefix(s, "pkg:") {
		s = s[i+1:]
	}
	name, ver, ok := strings.Cut(s, "@")
	if u, err := url.PathUnescape(ver); err == nil {
		ver = u
	}
	if !ok {
		return name
	}
	return name + " " + ver
}

func vulnerability(in Input, ids productIDs) (Vulnerability, error) {
	c, p := in.Case, in.Product
	v := Vulnerability{Title: c.Title, DiscoveryDate: date(c.Received)}
	v.IDs = append(v.IDs, ID{SystemName: p.Manufacturer.Name + " vulnerability case", Text: c.ID})
	for _, a := range c.Aliases {
		if strings.HasPrefix(a, "CVE-") && v.CVE == "" {
			v.CVE = a
		} else {
			v.IDs = append(v.IDs, ID{SystemName: systemName(a), Text: a})
		}
		v.References = append(v.References, Reference{Category: "external", Summary: a, URL: aliasURL(a)})
	}
	descr := c.Description
	if descr == "" {
		descr = c.Title
	}
	v.Notes = []Note{{Category: "description", Title: "Vulnerability description", Text: descr}}
	notAffected := c.Status == casestore.Closed && (c.Resolution == "not_affected" || c.Resolution == "rejected")
	ps := &ProductStatus{}
	switch {
	case notAffected:
		ps.KnownNotAffected = ids.affected
		impact := in.Impact
		if impact == "" {
			impact = "The manufacturer's analysis found the product not affected."
		}
		v.Threats = append(v.Threats, Threat{Category: "impact", Details: impact, ProductIDs: ids.affected})
	case c.Status == casestore.New || c.Status == casestore.Triage:
		ps.UnderInvestigation = ids.affected
	default:
		ps.KnownAffected = ids.affected
	}
	ps.Fixed = ids.fixed
	v.ProductStatus = ps
	if c.Exploited {
		det := "Exploitation by a malicious actor has been observed (actively exploited)."
		if c.Source != nil && c.Source.KEV != "" {
			det += " Listed in CISA's Known Exploited Vulnerabilities catalogue since " + c.Source.KEV + "."
		}
		th := Threat{Category: "exploit_status", Details: det, ProductIDs: ids.affected}
		if c.Aware != nil {
			th.Date = stamp(*c.Aware)
		}
		v.Threats = append(v.Threats, th)
	}
	if c.CVSS3 != "" && len(ids.affected) > 0 && !notAffected {
		s, _, err := vuln.ScoreVector(c.CVSS3)
		if err != nil {
			return v, err
		}
		v.Scores = []Score{{Products: ids.affected, CVSSV3: &CVSSV3{Version: s.Version, VectorString: s.Vector,
			BaseScore: s.Score, BaseSeverity: rating(s.Score)}}}
	}
	if c.CVSS4 != "" {
		text := c.CVSS4
		if s, _, err := vuln.ScoreVector(c.CVSS4); err == nil {
			text = fmt.Sprintf("%s (base score %.1f)", c.CVSS4, s.Score)
		}
		v.Notes = append(v.Notes, Note{Category: "other", Title: "CVSS v4.0", Text: text + ". CSAF 2.0 has no CVSS v4.0 score field."})
	}
	if ps.KnownAffected != nil {
		v.Remediations = remediations(c, p, ids)
	}
	return v, nil
}

func remediations(c *casestore.Case, p *product.File, ids productIDs) []Remediation {
	var rs []Remediation
	covered := map[string]bool{}
	add := func(r Remediation) {
		if len(r.ProductIDs) == 0 {
			return
		}
		for _, id := range r.ProductIDs {
			covered[id] = true
		}
		rs = append(rs, r)
	}
	name := productName(c, p)
	switch {
	case len(c.FixedVersions) > 0:
		det := fmt.Sprintf("Update %s to version %s or later.", name, strings.Join(c.FixedVersions, ", "))
		if c.Mitigation != "" {
			det += " " + c.Mitigation
		}
		add(Remediation{Category: RemedyVendorFix, Details: det, ProductIDs: ids.affected, URL: p.Updates.Channel})
	case c.Mitigation != "" && c.Mitigated != nil:
		add(Remediation{Category: RemedyVendorFix, Details: c.Mitigation, ProductIDs: ids.affected, URL: p.Updates.Channel, Date: stamp(*c.Mitigated)})
	case c.Mitigation != "":
		add(Remediation{Category: RemedyMitigation, Details: c.Mitigation, ProductIDs: ids.affected})
	}
	for _, f := range c.Fixes {
		if len(f.Fixed) == 0 {
			continue
		}
		n := f.Name
		if n == "" {
			n, _, _ = strings.Cut(componentName(f.Component), " ")
		}
		add(Remediation{Category: RemedyVendorFix, Details: fmt.Sprintf("The component %s is fixed in version %s; update it (or the product) to that version or later.", n, f.Fixed[0]),
			ProductIDs: ids.components[f.Component]})
	}
	if c.UserActions != "" {
		add(Remediation{Category: RemedyWorkaround, Details: c.UserActions, ProductIDs: ids.affected})
	}
	var open []string
	for _, id := range ids.affected {
		if !covered[id] {
			open = append(open, id)
		}
	}
	if len(open) > 0 {
		r := Remediation{Category: RemedyNoneAvailable, Details: "No fix is available yet; this advisory will be updated when one is.", ProductIDs: open}
		if c.Resolution == "wont_fix" {
			r = Remediation{Category: RemedyNoFixPlanned, Details: "No fix is planned.", ProductIDs: open}
		}
		add(r)
	}
	return rs
}

// rating is CVSS v3's qualitative severity of a base score.
func rating(score float64) string {
	switch {
	case score == 0:
		return "NONE"
	case score < 4:
		return "LOW"
	case score < 7:
		return "MEDIUM"
	case score < 9:
		return "HIGH"
	}
	return "CRITICAL"
}

func systemName(id string) string {
	switch {
	case strings.HasPrefix(id, "GHSA-"):
		return "GitHub Security Advisory"
	case strings.HasPrefix(id, "DSA-"), strings.HasPrefix(id, "DLA-"):
		return "Debian Security Advisory"
	case strings.HasPrefix(id, "GO-"):
		return "Go Vulnerability Database"
	case strings.HasPrefix(id, "CVE-"):
		return "CVE"
	}
	return "OSV"
}

func aliasURL(id string) string {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return "https://www.cve.org/CVERecord?id=" + url.QueryEscape(id)
	case strings.HasPrefix(id, "GHSA-"):
		return "https://github.com/advisories/" + url.PathEscape(id)
	}
	return "https://osv.dev/vulnerability/" + url.PathEscape(id)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
func date(t time.Time) string  { return stamp(t) }

// Digest is the SHA-256 of the documents' content without their tracking
// (dates, version, generator): a change of it makes a new revision.
func Digest(docs ...*Document) string {
	h := sha256.New()
	for _, d := range docs {
		cp := *d
		cp.Document.Tracking = Tracking{}
		b, _ := json.Marshal(&cp)
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Track computes the documents' tracking from the published revisions,
// the digest of the content now and whether to publish (final):
//   - nothing published, not final: a draft, version 0;
//   - final and the content differs from the last revision (or none): a
//     new revision, returned for the caller to record;
//   - the content is the last revision's: that revision, final;
//   - the content changed since, not final: interim, the next version
//     provisional in the history.
func Track(revs []casestore.Revision, digest string, final bool, summary string, now time.Time) (Tracking, *casestore.Revision) {
	now = now.UTC().Truncate(time.Second)
	var added *casestore.Revision
	changed := len(revs) == 0 || revs[len(revs)-1].Digest != digest
	if len(revs) == 0 && !final {
		return Tracking{Status: StatusDraft, Version: "0", InitialReleaseDate: stamp(now), CurrentReleaseDate: stamp(now),
			RevisionHistory: []Revision{{Date: stamp(now), Number: "0", Summary: "Draft, not yet published."}}}, nil
	}
	status := StatusFinal
	if changed {
		if summary == "" {
			summary = "Initial release."
			if len(revs) > 0 {
				summary = "Updated."
			}
		}
		r := casestore.Revision{Number: len(revs) + 1, Date: now, Summary: summary, Digest: digest}
		revs = append(slices.Clone(revs), r)
		if final {
			added = &r
		} else {
			status = StatusInterim
			revs[len(revs)-1].Summary = "Changes not yet published: " + summary
		}
	}
	t := Tracking{Status: status, Version: fmt.Sprint(len(revs)), InitialReleaseDate: stamp(revs[0].Date),
		CurrentReleaseDate: stamp(revs[len(revs)-1].Date)}
	for _, r := range revs {
		t.RevisionHistory = append(t.RevisionHistory, Revision{Date: stamp(r.Date), Number: fmt.Sprint(r.Number), Summary: r.Summary})
	}
	return t, added
}
