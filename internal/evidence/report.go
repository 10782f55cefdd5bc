package evidence

import (
	"bytes"
	"fmt"
	"maps"
	"slices"

	"github.com/cradle-cra/cradle/internal/classify"
	"github.com/cradle-cra/cradle/internal/evreport"
)

// RenderReport lays the pack out as report.html and report.pdf
// (internal/evreport); it is Options.Report for a full build.
func RenderReport(rd *ReportData) (html, pdf []byte, err error) {
	m := reportModel(rd)
	var h, p bytes.Buffer
	if err := evreport.HTML(&h, m); err != nil {
		return nil, nil, fmt.Errorf("report.html: %w", err)
	}
	if err := evreport.PDF(&p, m); err != nil {
		return nil, nil, fmt.Errorf("report.pdf: %w", err)
	}
	return h.Bytes(), p.Bytes(), nil
}

// severities in the order the report's charts colour them.
var severities = []string{"critical", "high", "medium", "low", "none", "unknown"}

func reportModel(rd *ReportData) *evreport.Model {
	p := rd.Product
	m := &evreport.Model{
		Product: evreport.Product{Name: p.Product.Name, Model: p.Product.Model, Identifier: p.Product.Identifier,
			Description: p.Product.Description, IntendedPurpose: p.IntendedPurpose},
		Release: rd.Release,
		Manufacturer: evreport.Manufacturer{Name: p.Manufacturer.Name, Address: p.Manufacturer.Address, Email: p.Manufacturer.Email,
			Website: p.Manufacturer.Website, SecurityContact: p.Security.Contact},
		Support:   evreport.Support{Start: p.Support.Start.String(), End: p.Support.End.String(), Justification: p.Support.Justification},
		Retention: evreport.Retention{Until: rd.Retention.KeepUntil, Reason: fmt.Sprintf("ten years after placing on the market (%s) or the end of the support period (%s), whichever is later (Art. 13(13), 13(18))", rd.Retention.PlacedOnMarket, rd.Retention.SupportEnd)},
		Signature: evreport.Signature{Algorithm: "ed25519", KeyID: rd.KeyID, Format: "DSSE (in-toto)", File: SignatureFile},
		Generated: rd.Created,
		Tool:      rd.Tool,
		Notes: []string{
			"The Annex VII, Annex II and Annex V documents in documents/ are drafts: a person completes them and signs the declaration.",
			"Reporting actively exploited vulnerabilities and severe incidents on ENISA's single reporting platform (Art. 14) is the manufacturer's act; the platform has no API.",
		},
	}
	if p.Classification.Categories != nil {
		if c, err := classify.Classify(p.Classification.Input()); err == nil {
			m.Classification.Class = c.ClassTitle
			for _, cat := range c.Categories {
				m.Classification.Categories = append(m.Classification.Categories, cat.ID)
			}
			for _, r := range c.Routes {
				m.Classification.Routes = append(m.Classification.Routes, evreport.Route{Name: r.Title, State: string(r.Verdict), Reason: r.Why})
			}
		}
	}
	for _, r := range rd.Matrix.Requirements {
		row := evreport.Requirement{ID: r.ID, Title: r.Title, Applicable: r.Applicability != NotApplies, Justification: r.Justification,
			Status: evreport.Status(r.Status), Gaps: r.Gaps}
		if r.Status == NotApplicable {
			row.Status = evreport.Unknown // ignored for a row that does not apply
		}
		for _, c := range r.Controls {
			row.Controls = append(row.Controls, c.ID+" "+c.Title)
		}
		for _, rule := range r.Rules {
			row.Controls = append(row.Controls, "rule "+rule)
		}
		for _, e := range r.Evidence {
			if !slices.Contains(row.Evidence, e.File) {
				row.Evidence = append(row.Evidence, e.File)
			}
		}
		m.Matrix = append(m.Matrix, row)
	}
	for _, s := range rd.Scans {
		m.Compliance = append(m.Compliance, evreport.ComplianceRun{Name: s.Profile, Pass: s.Pass, Fail: s.Fail, Unknown: s.Unknown,
			Waived: s.Waived, NotApplicable: s.NotApplicable, Evidence: s.File})
	}
	sev, st := map[string]int{}, map[string]int{}
	for _, v := range rd.Vulns {
		for k, n := range v.BySeverity {
			sev[k] += n
		}
		for k, n := range v.ByStatus {
			st[k] += n
		}
		m.Vulnerabilities.Evidence = append(m.Vulnerabilities.Evidence, v.File)
	}
	for _, c := range rd.Cases {
		ec := evreport.Case{ID: c.ID, Title: c.Title, Severity: c.Severity, Status: c.Status, Aliases: c.Aliases, Kind: c.Kind, Aware: c.Aware}
		for _, k := range c.Clocks {
			ec.Clocks = append(ec.Clocks, evreport.Clock{Stage: k.Stage, Status: k.Status, Due: k.Due, Submitted: k.Submitted})
		}
		m.Vulnerabilities.Cases = append(m.Vulnerabilities.Cases, ec)
	}
	for _, k := range severities {
		if sev[k] > 0 {
			m.Vulnerabilities.BySeverity = append(m.Vulnerabilities.BySeverity, evreport.Count{Key: k, Count: sev[k]})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(st)) {
		m.Vulnerabilities.ByStatus = append(m.Vulnerabilities.ByStatus, evreport.Count{Key: k, Count: st[k]})
	}
	for _, f := range rd.Files {
		if f.Role == "input:vex" || f.Role == "input:advisories" || f.Role == "input:cases" {
			m.Vulnerabilities.Evidence = append(m.Vulnerabilities.Evidence, f.Path)
		}
	}
	if len(rd.SBOM) > 0 {
		s := rd.SBOM[0]
		m.SBOM = evreport.SBOM{Format: s.Format + " " + s.SpecVersion, Components: s.Components, Evidence: s.File}
		for _, k := range slices.Sorted(maps.Keys(s.Types)) {
			m.SBOM.Ecosystems = append(m.SBOM.Ecosystems, evreport.Count{Key: k, Count: s.Types[k]})
		}
	}
	for _, i := range rd.Integrity {
		m.Integrity = append(m.Integrity, evreport.IntegrityCheck{Name: i.Name, Status: i.Status, Summary: i.Summary, Evidence: i.File})
	}
	for _, f := range rd.Files {
		m.Artifacts = append(m.Artifacts, evreport.Artifact{Path: f.Path, Size: f.Size, SHA256: f.SHA256})
	}
	return m
}
