package evidence

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/cra"
	"github.com/cradle-cra/cradle/internal/product"
	"github.com/cradle-cra/cradle/internal/result"
	"github.com/cradle-cra/cradle/internal/risk"
)

// The annex1_matrix document (docs/schemas/annex1_matrix.schema.json).
const (
	MatrixKind          = "annex1_matrix"
	MatrixSchemaVersion = "1.0"
)

// Status is the state of one Annex I point.
type Status string

// A point is met only when evidence shows it and nothing contradicts it;
// unknown when nothing was looked at.
const (
	Met           Status = "met"
	Partial       Status = "partial"
	NotMet        Status = "not_met"
	Unknown       Status = "unknown"
	NotApplicable Status = "not_applicable"
)

// Statuses lists the states in report order.
var Statuses = []Status{Met, Partial, NotMet, Unknown, NotApplicable}

// Applicability of a point as the risk assessment states it.
const (
	Applicable    = "applicable"
	NotApplies    = "not_applicable"
	NotAssessed   = "not_assessed" // no risk assessment in the pack
	assessmentGap = "no risk assessment: the point's applicability was not assessed (Art. 13(2)-(4))"
)

// Matrix is the Annex I Part I and II matrix of one release.
type Matrix struct {
	SchemaVersion string         `json:"schema_version"`
	Kind          string         `json:"kind"`
	Product       string         `json:"product"`
	Release       string         `json:"release"`
	Generated     time.Time      `json:"generated"`
	Summary       map[Status]int `json:"summary"`
	Requirements  []Row          `json:"requirements"`
}

// Row is one Annex I point.
type Row struct {
	ID            string       `json:"id"`
	Part          int          `json:"part"`
	Official      string       `json:"official"`
	Title         string       `json:"title"`
	Applicability string       `json:"applicability"`
	Justification string       `json:"justification,omitempty"`
	Status        Status       `json:"status"`
	Controls      []ControlRef `json:"controls"`
	Rules         []string     `json:"rules"`
	Evidence      []Signal     `json:"evidence"`
	Gaps          []string     `json:"gaps"`
}

// ControlRef names a control of the risk assessment.
type ControlRef struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Signal is what one evidence file says about a point.
type Signal struct {
	File    string `json:"file"`
	Verdict Status `json:"verdict"`
	Detail  string `json:"detail"`
}

// Table prints the matrix for a terminal.
func (m *Matrix) Table(w interface{ Write([]byte) (int, error) }) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Annex I matrix: %s %s\n", m.Product, m.Release)
	for _, r := range m.Requirements {
		fmt.Fprintf(&b, "%-13s %-14s %-40s %d evidence, %d gaps\n", r.ID, r.Status, clip(r.Title, 40), len(r.Evidence), len(r.Gaps))
	}
	fmt.Fprintf(&b, "met %d, partial %d, not met %d, unknown %d, not applicable %d\n",
		m.Summary[Met], m.Summary[Partial], m.Summary[NotMet], m.Summary[Unknown], m.Summary[NotApplicable])
	_, err := w.Write([]byte(b.String()))
	return err
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// matrixInput is what the matrix is computed from.
type matrixInput struct {
	product   *product.File
	risk      *risk.File
	riskPath  string // pack path of the risk file
	prodPath  string // pack path of the product file
	artifacts []*artifact
	// controlEvidence maps a control id to the pack paths of its evidence.
	controlEvidence map[string][]string
}

// computeMatrix builds the matrix. Each artifact adds signals to the
// points it bears on; a point's status is the worst of its signals.
func computeMatrix(in matrixInput, release string, now time.Time) *Matrix {
	m := &Matrix{SchemaVersion: MatrixSchemaVersion, Kind: MatrixKind, Product: in.product.Product.Name, Release: release,
		Generated: now.UTC(), Summary: map[Status]int{}}
	sig := map[string][]Signal{}
	gaps := map[string][]string{}
	add := func(id, file string, v Status, format string, a ...any) {
		sig[id] = append(sig[id], Signal{File: file, Verdict: v, Detail: fmt.Sprintf(format, a...)})
	}
	ruleOwners := ruleOwners(in.risk)
	seenRules := map[string]bool{}
	for _, a := range in.artifacts {
		switch d := a.doc.(type) {
		case *result.Report:
			scanSignals(d, a.path, ruleOwners, seenRules, add)
		case *vulnDoc:
			vulnSignals(d, a.path, add)
		case *sbomDoc:
			add("CRA.A1.P2.1", a.path, Met, "SBOM (%s %s) with %d components", d.Format, d.SpecVersion, d.Components)
		case *fimDoc:
			switch n := d.Summary.Added + d.Summary.Removed + d.Summary.Changed; {
			case d.Summary.Problems > 0:
				add("CRA.A1.P1.2f", a.path, Partial, "file integrity check: %d changes, %d files could not be checked", n, d.Summary.Problems)
			case n > 0:
				add("CRA.A1.P1.2f", a.path, Partial, "file integrity check found %d changes to review", n)
			default:
				add("CRA.A1.P1.2f", a.path, Met, "file integrity check of %d entries: no unapproved change", d.Summary.Entries)
			}
		case *driftDoc:
			if len(d.Items) > 0 {
				add("CRA.A1.P1.2f", a.path, Partial, "configuration drift: %d differences from the approved snapshot", len(d.Items))
				add("CRA.A1.P1.2b", a.path, Partial, "configuration drift: %d differences from the approved snapshot", len(d.Items))
			} else {
				add("CRA.A1.P1.2f", a.path, Met, "no configuration drift from the approved snapshot")
			}
		case *fixDoc:
			if d.Mode == "plan" && len(d.Plan) > 0 {
				add("CRA.A1.P1.2b", a.path, Partial, "cradle fix would still change %d settings", len(d.Plan))
			}
		}
		if a.kind == InVEX {
			add("CRA.A1.P2.6", a.path, Met, "VEX statements on the product's vulnerabilities")
		}
	}
	if n := countKind(in.artifacts, InAdvisories); n > 0 {
		first := firstOf(in.artifacts, InAdvisories)
		add("CRA.A1.P2.4", first, Met, "%d advisory files published with the release", n)
		add("CRA.A1.P2.8", first, Met, "%d advisory files tell users what to do", n)
	}
	declarations(in, add)
	for owner, rules := range ruleOwners {
		for _, r := range rules {
			if !seenRules[r] {
				gaps[owner] = append(gaps[owner], fmt.Sprintf("rule %s is named by the risk assessment but no scan result has it", r))
			}
		}
	}
	for _, pt := range cra.AnnexI() {
		row := Row{ID: pt.ID, Part: pt.Part, Official: pt.Official, Title: pt.Title, Controls: []ControlRef{}, Rules: []string{},
			Evidence: sig[pt.ID], Gaps: gaps[pt.ID]}
		if row.Evidence == nil {
			row.Evidence = []Signal{}
		}
		row.Applicability = NotAssessed
		if in.risk != nil {
			req, _ := in.risk.Requirement(pt.ID)
			if !req.IsApplicable() {
				row.Applicability, row.Justification, row.Status = NotApplies, req.Justification, NotApplicable
				row.Evidence = []Signal{{File: in.riskPath, Verdict: NotApplicable, Detail: "not applicable: " + req.Justification}}
				row.Gaps = []string{}
				m.Requirements = append(m.Requirements, row)
				m.Summary[row.Status]++
				continue
			}
			row.Applicability = Applicable
			row.Rules = append(row.Rules, req.Rules...)
			for _, cid := range req.Controls {
				c, _ := in.risk.Control(cid)
				row.Controls = append(row.Controls, ControlRef{ID: c.ID, Title: c.Title})
				row.Rules = append(row.Rules, c.Rules...)
				files := in.controlEvidence[cid]
				for _, f := range files {
					row.Evidence = append(row.Evidence, Signal{File: f, Verdict: Met, Detail: "evidence of control " + cid})
				}
				if len(files) == 0 && len(c.Rules) == 0 {
					row.Gaps = append(row.Gaps, fmt.Sprintf("control %s has no evidence file and no rule", cid))
				}
			}
			slices.Sort(row.Rules)
			row.Rules = slices.Compact(row.Rules)
		} else {
			row.Gaps = append(row.Gaps, assessmentGap)
		}
		row.Status = rollup(row.Evidence)
		if row.Status == Unknown {
			row.Gaps = append(row.Gaps, "no evidence in the pack bears on this point")
		}
		if row.Gaps == nil {
			row.Gaps = []string{}
		}
		if in.risk == nil && row.Status == Met {
			row.Status = Partial // evidence, but nobody assessed the point against the product's risks
		}
		m.Requirements = append(m.Requirements, row)
		m.Summary[row.Status]++
	}
	for _, s := range Statuses {
		m.Summary[s] += 0
	}
	return m
}

// rollup: any not met → not met; any partial or unknown → partial; all
// met → met; nothing → unknown.
func rollup(sigs []Signal) Status {
	if len(sigs) == 0 {
		return Unknown
	}
	st := Met
	for _, s := range sigs {
		switch s.Verdict {
		case NotMet:
			return NotMet
		case Partial, Unknown:
			st = Partial
		}
	}
	return st
}

// ruleOwners maps each point to the rule ids the risk assessment names
// for it (directly or through its controls).
func ruleOwners(rf *risk.File) map[string][]string {
	out := map[string][]string{}
	if rf == nil {
		return out
	}
	for _, req := range rf.Requirements {
		if !req.IsApplicable() {
			continue
		}
		rs := append([]string{}, req.Rules...)
		for _, cid := range req.Controls {
			c, _ := rf.Control(cid)
			rs = append(rs, c.Rules...)
		}
		slices.Sort(rs)
		out[req.ID] = slices.Compact(rs)
	}
	return out
}

type addFunc func(id, file string, v Status, format string, a ...any)

// scanSignals: every result carrying a CRA id, or named by the risk
// assessment for a point, counts for that point.
func scanSignals(r *result.Report, file string, owners map[string][]string, seen map[string]bool, add addFunc) {
	type tally struct{ pass, fail, err, waived []string }
	per := map[string]*tally{}
	for _, res := range r.Results {
		seen[res.RuleID] = true
		ids := append([]string{}, res.References["cra"]...)
		for id, rules := range owners {
			if slices.Contains(rules, res.RuleID) {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for _, id := range slices.Compact(ids) {
			if _, ok := cra.Lookup(id); !ok {
				continue
			}
			t := per[id]
			if t == nil {
				t = &tally{}
				per[id] = t
			}
			switch res.Status.Base() {
			case result.Pass:
				t.pass = append(t.pass, res.RuleID)
			case result.Fail:
				t.fail = append(t.fail, res.RuleID)
			case result.Error:
				t.err = append(t.err, res.RuleID)
			case result.Waived:
				t.waived = append(t.waived, res.RuleID)
			}
		}
	}
	ids := make([]string, 0, len(per))
	for id := range per {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return cra.Compare(ids[i], ids[j]) < 0 })
	for _, id := range ids {
		t := per[id]
		where := fmt.Sprintf("profile %s", r.Profile)
		switch {
		case len(t.fail) > 0:
			add(id, file, NotMet, "%s: %d rules fail (%s), %d pass", where, len(t.fail), list(t.fail), len(t.pass))
		case len(t.err) > 0:
			add(id, file, Partial, "%s: %d rules could not be decided (%s), %d pass", where, len(t.err), list(t.err), len(t.pass))
		case len(t.waived) > 0:
			add(id, file, Partial, "%s: %d rules waived (%s), %d pass", where, len(t.waived), list(t.waived), len(t.pass))
		case len(t.pass) > 0:
			add(id, file, Met, "%s: %d rules pass", where, len(t.pass))
		}
	}
	add("CRA.A1.P2.3", file, Met, "security configuration test (%s) run %s", where(r), r.StartedAt.UTC().Format(time.RFC3339))
}

func where(r *result.Report) string {
	if r.SCAP != nil {
		return "SCAP profile " + r.SCAP.Profile
	}
	return "profile " + r.Profile
}

func list(ids []string) string {
	if len(ids) > 5 {
		return strings.Join(ids[:5], ", ") + fmt.Sprintf(" and %d more", len(ids)-5)
	}
	return strings.Join(ids, ", ")
}

func vulnSignals(d *vulnDoc, file string, add addFunc) {
	open, exploited := 0, 0
	for _, f := range d.Findings {
		if f.VEX != nil && f.VEX.Suppressed {
			continue
		}
		open++
		if f.Exploited {
			exploited++
		}
	}
	add("CRA.A1.P2.1", file, Met, "vulnerability scan of %d components documents %d findings", d.Components, len(d.Findings))
	add("CRA.A1.P2.3", file, Met, "vulnerability scan of %d components", d.Components)
	switch {
	case exploited > 0:
		add("CRA.A1.P1.2a", file, NotMet, "%d known exploited vulnerabilities are open", exploited)
		add("CRA.A1.P2.2", file, NotMet, "%d known exploited vulnerabilities are open", exploited)
	case d.Gate.Failed:
		add("CRA.A1.P1.2a", file, NotMet, "%d open vulnerabilities; the release gate (--fail-on %s) failed", open, d.Gate.FailOn)
		add("CRA.A1.P2.2", file, NotMet, "the release gate (--fail-on %s) failed", d.Gate.FailOn)
	case open > 0:
		add("CRA.A1.P1.2a", file, Partial, "%d open vulnerabilities, none known exploited; show they are not exploitable (VEX) or fix them", open)
		add("CRA.A1.P2.2", file, Partial, "%d open vulnerabilities to remediate or assess", open)
	default:
		add("CRA.A1.P1.2a", file, Met, "no open known vulnerability (%d suppressed by VEX)", len(d.Findings))
		add("CRA.A1.P2.2", file, Met, "no open known vulnerability")
	}
	if len(d.Gaps) > 0 {
		add("CRA.A1.P1.2a", file, Partial, "%d components or records could not be checked", len(d.Gaps))
	}
}

// declarations are what the product file states: weaker than a test
// result, but the manufacturer's record (the CVD policy, the contact, the
// update channel).
func declarations(in matrixInput, add addFunc) {
	p, f := in.product, in.prodPath
	if p.Security.CVDPolicy != "" {
		add("CRA.A1.P2.5", f, Met, "CVD policy published at %s", p.Security.CVDPolicy)
	} else {
		add("CRA.A1.P2.5", f, NotMet, "the product file names no CVD policy (security.cvd_policy)")
	}
	if p.Security.Contact != "" {
		add("CRA.A1.P2.6", f, Met, "vulnerability reports to %s", p.Security.Contact)
	}
	switch {
	case p.Updates.Channel == "":
		add("CRA.A1.P2.7", f, Unknown, "the product file names no update channel (updates.channel)")
	case p.Updates.Signed != nil && !*p.Updates.Signed:
		add("CRA.A1.P2.7", f, NotMet, "updates from %s are not signed", p.Updates.Channel)
	case p.Updates.Signed != nil:
		add("CRA.A1.P2.7", f, Met, "signed updates from %s", p.Updates.Channel)
	default:
		add("CRA.A1.P2.7", f, Partial, "updates from %s; signing not stated", p.Updates.Channel)
	}
	if p.Updates.Channel != "" {
		add("CRA.A1.P1.2c", f, Met, "security updates distributed from %s", p.Updates.Channel)
		if p.Updates.Automatic != nil && !*p.Updates.Automatic {
			add("CRA.A1.P1.2c", f, Partial, "automatic security updates are off by default")
		}
	}
	if in.risk != nil {
		v, detail := Met, fmt.Sprintf("risk assessment: %d assets, %d threats, %d controls", len(in.risk.Assets), len(in.risk.Threats), len(in.risk.Controls))
		for _, t := range in.risk.Threats {
			if lvl := risk.Level(t.Residual.Score()); (lvl == "high" || lvl == "critical") && t.Acceptance == "" {
				v, detail = Partial, detail+fmt.Sprintf("; threat %s has a %s residual risk nobody accepted", t.ID, lvl)
			}
		}
		if len(in.risk.Threats) == 0 {
			v, detail = Partial, detail+"; no threat assessed"
		}
		add("CRA.A1.P1.1", in.riskPath, v, "%s", detail)
	}
}

func countKind(as []*artifact, k InputKind) int {
	n := 0
	for _, a := range as {
		if a.kind == k {
			n++
		}
	}
	return n
}

func firstOf(as []*artifact, k InputKind) string {
	for _, a := range as {
		if a.kind == k {
			return a.path
		}
	}
	return ""
}
