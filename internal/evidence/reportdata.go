package evidence

import (
	"fmt"
	"time"

	"github.com/cradle-cra/cradle/internal/result"
)

// ScanSummary counts one scan's results.
type ScanSummary struct {
	File, Profile                              string
	Pass, Fail, Unknown, Waived, NotApplicable int
}

// VulnSummary counts one vulnerability report's findings.
type VulnSummary struct {
	File       string
	BySeverity map[string]int // open findings
	ByStatus   map[string]int // VEX status, "affected" when none
}

// CaseSummary is an actively exploited vulnerability or severe incident
// with its Article 14 clocks.
type CaseSummary struct {
	ID, Title, Severity, Status, Kind string
	Aliases                           []string
	Aware                             time.Time
	Clocks                            []ClockSummary
}

// ClockSummary is one Article 14 clock.
type ClockSummary struct {
	Stage, Status  string
	Due, Submitted time.Time
}

// IntegritySummary is one FIM or drift check.
type IntegritySummary struct {
	Name, Status, Summary, File string
}

// summarise fills the report data's per-artifact summaries.
func (rd *ReportData) summarise(as []*artifact) {
	for _, a := range as {
		switch d := a.doc.(type) {
		case *result.Report:
			s := ScanSummary{File: a.path, Profile: where(d)}
			for _, r := range d.Results {
				switch r.Status.Base() {
				case result.Pass:
					s.Pass++
				case result.Fail:
					s.Fail++
				case result.Error:
					s.Unknown++
				case result.Waived:
					s.Waived++
				default:
					s.NotApplicable++
				}
			}
			rd.Scans = append(rd.Scans, s)
		case *vulnDoc:
			v := VulnSummary{File: a.path, BySeverity: map[string]int{}, ByStatus: map[string]int{}}
			for _, f := range d.Findings {
				st := "affected"
				if f.VEX != nil && f.VEX.Status != "" {
					st = f.VEX.Status
				}
				v.ByStatus[st]++
				if f.VEX == nil || !f.VEX.Suppressed {
					v.BySeverity[f.Severity]++
				}
			}
			rd.Vulns = append(rd.Vulns, v)
		case *casesDoc:
			for _, c := range d.Cases {
				if !c.Exploited && !c.Incident {
					continue
				}
				cs := CaseSummary{ID: c.ID, Title: c.Title, Severity: c.Severity, Status: c.Status, Aliases: c.Aliases, Kind: "vulnerability"}
				if !c.Exploited {
					cs.Kind = "incident"
				}
				if c.Aware != nil {
					cs.Aware = c.Aware.UTC()
				}
				for _, k := range c.Clocks {
					cl := ClockSummary{Stage: k.Stage, Status: k.Status}
					if k.Due != nil {
						cl.Due = k.Due.UTC()
					}
					if k.Submitted != nil {
						cl.Submitted = k.Submitted.UTC()
					}
					cs.Clocks = append(cs.Clocks, cl)
				}
				rd.Cases = append(rd.Cases, cs)
			}
		case *sbomDoc:
			rd.SBOM = append(rd.SBOM, SBOMSummary{File: a.path, Format: d.Format, SpecVersion: d.SpecVersion, Components: d.Components, Types: d.Types})
		case *fimDoc:
			n := d.Summary.Added + d.Summary.Removed + d.Summary.Changed
			st := "clean"
			if n > 0 || d.Summary.Problems > 0 {
				st = "changed"
			}
			rd.Integrity = append(rd.Integrity, IntegritySummary{Name: "FIM", Status: st, File: a.path,
				Summary: fmt.Sprintf("%d entries: %d added, %d removed, %d changed, %d not checked", d.Summary.Entries, d.Summary.Added, d.Summary.Removed, d.Summary.Changed, d.Summary.Problems)})
		case *driftDoc:
			st := "clean"
			if len(d.Items) > 0 {
				st = "changed"
			}
			rd.Integrity = append(rd.Integrity, IntegritySummary{Name: "drift", Status: st, File: a.path,
				Summary: fmt.Sprintf("%d differences from the approved snapshot", len(d.Items))})
		}
	}
}
