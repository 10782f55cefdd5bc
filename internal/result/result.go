// Package result holds cradle's one result model: every check produces
// Results with evidence, and every output format renders a Report.
package result

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// SchemaVersion and ReportKind head the JSON scan report
// (docs/json-schema.md, docs/schemas/scan_report.schema.json).
const (
	SchemaVersion = "1.1"
	ReportKind    = "scan_report"
)

// Status is the outcome of one rule.
type Status string

const (
	Pass          Status = "pass"
	Fail          Status = "fail"
	NotApplicable Status = "not_applicable"
	Error         Status = "error"
	Waived        Status = "waived"
)

// Statuses lists every status in report order.
var Statuses = []Status{Pass, Fail, NotApplicable, Error, Waived}

// The XCCDF 1.2 rule results (§6.6.4.2) that cradle's own statuses do not
// spell the same way, for reports of SCAP content (cradle scan --scap):
// there a result's status is the XCCDF name. pass, fail and error are
// shared.
const (
	XCCDFNotApplicable Status = "notapplicable"
	NotChecked         Status = "notchecked"
	NotSelected        Status = "notselected"
	Unknown            Status = "unknown"
	Informational      Status = "informational"
	Fixed              Status = "fixed"
)

// XCCDFStatuses lists the XCCDF-only statuses in report order. A summary
// carries them only when a result has one, so reports of cradle's own
// rules keep their five keys.
var XCCDFStatuses = []Status{XCCDFNotApplicable, NotChecked, NotSelected, Unknown, Informational, Fixed}

// Base maps a status onto cradle's five for formats and gates that know
// only those: an XCCDF notapplicable, notchecked, notselected or
// informational is not applicable, unknown is an error (nothing proved
// the rule holds), fixed is a pass.
func (s Status) Base() Status {
	switch s {
	case XCCDFNotApplicable, NotChecked, NotSelected, Informational:
		return NotApplicable
	case Unknown:
		return Error
	case Fixed:
		return Pass
	}
	return s
}

// Known reports whether s is a status cradle writes.
func (s Status) Known() bool {
	for _, l := range [][]Status{Statuses, XCCDFStatuses} {
		for _, x := range l {
			if s == x {
				return true
			}
		}
	}
	return false
}

// Severity ranks rules; the zero value is invalid.
type Severity int

const (
	SeverityInfo Severity = iota + 1
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = []string{"", "info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < SeverityInfo || s > SeverityCritical {
		return "unknown"
	}
	return severityNames[s]
}

// ParseSeverity accepts the lower-case names above.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if i > 0 && strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want info, low, medium, high or critical)", s)
}

func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Evidence is one observation backing a result.
type Evidence struct {
	Expected string `json:"expected,omitempty"`
	Observed string `json:"observed"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Note     string `json:"note,omitempty"`
}

// Waiver records why a failing rule is accepted.
type Waiver struct {
	Justification string `json:"justification"`
	Owner         string `json:"owner,omitempty"`
	Expires       string `json:"expires,omitempty"`
	Source        string `json:"source,omitempty"`
}

// Result is the outcome of one rule on one target.
type Result struct {
	RuleID     string              `json:"rule_id"`
	Title      string              `json:"title"`
	Status     Status              `json:"status"`
	Severity   Severity            `json:"severity"`
	Fixable    bool                `json:"fixable"`
	Reason     string              `json:"reason,omitempty"`
	References map[string][]string `json:"references"`
	Evidence   []Evidence          `json:"evidence"`
	// EvidenceOmitted counts evidence items left out by BoundEvidence;
	// the last item kept then says "and N more".
	EvidenceOmitted int     `json:"evidence_omitted,omitempty"`
	Waiver          *Waiver `json:"waiver,omitempty"`
	// WaivedStatus keeps the status a waiver overrode.
	WaivedStatus Status `json:"waived_status,omitempty"`
	Description  string `json:"description,omitempty"`
	Rationale    string `json:"rationale,omitempty"`
	// SCAP carries what XCCDF and ARF output need of a rule of SCAP content.
	SCAP *SCAPResult `json:"scap,omitempty"`
}

// SCAPResult is the XCCDF side of a rule result.
type SCAPResult struct {
	Idents []Ident     `json:"idents,omitempty"`
	Weight float64     `json:"weight"`
	Role   string      `json:"role,omitempty"`
	Checks []SCAPCheck `json:"checks,omitempty"`
}

// Ident is an XCCDF ident (a CCE, a STIG id …).
type Ident struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

// SCAPCheck names the check content a result came from.
type SCAPCheck struct {
	System string `json:"system"`
	Href   string `json:"href"`
	Name   string `json:"name"`
}

// SCAPRun describes the SCAP content a report evaluated.
type SCAPRun struct {
	Content          string      `json:"content"`
	DataStream       string      `json:"data_stream,omitempty"`
	Benchmark        string      `json:"benchmark"`
	BenchmarkVersion string      `json:"benchmark_version,omitempty"`
	BenchmarkTitle   string      `json:"benchmark_title,omitempty"`
	Profile          string      `json:"profile"`
	ProfileTitle     string      `json:"profile_title,omitempty"`
	Tailoring        string      `json:"tailoring,omitempty"`
	ScoreSystem      string      `json:"score_system"`
	Score            float64     `json:"score"`
	MaxScore         float64     `json:"max_score"`
	Values           []SCAPValue `json:"values,omitempty"`
	// RegexEngines names the regular-expression engines OVAL patterns ran on.
	RegexEngines []string `json:"regex_engines,omitempty"`
	// Source is the source data-stream collection evaluated, which an ARF
	// report carries as its report request (nil for a plain benchmark).
	Source []byte `json:"-"`
}

// SCAPValue is the value a run gave an XCCDF Value.
type SCAPValue struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// Target describes what was scanned.
type Target struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	OS       string `json:"os,omitempty"`
	Hostname string `json:"hostname,omitempty"`
}

// Summary counts results by status.
type Summary map[Status]int

// Report is a complete scan.
type Report struct {
	SchemaVersion string    `json:"schema_version"`
	Kind          string    `json:"kind"`
	Tool          Tool      `json:"tool"`
	Target        Target    `json:"target"`
	Profile       string    `json:"profile"`
	StartedAt     time.Time `json:"started_at"`
	DurationMS    int64     `json:"duration_ms"`
	Summary       Summary   `json:"summary"`
	Results       []Result  `json:"results"`
	// SCAP is set for a scan of SCAP content (cradle scan --scap).
	SCAP *SCAPRun `json:"scap,omitempty"`
}

// Tool identifies the producer.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Summarize recomputes the summary; every status key is present.
func (r *Report) Summarize() {
	s := Summary{}
	for _, st := range Statuses {
		s[st] = 0
	}
	for _, res := range r.Results {
		s[res.Status]++
	}
	r.Summary = s
}

// StatusesOf returns the statuses a report's summary lists: cradle's
// five, then the XCCDF ones it has.
func (r *Report) StatusesOf() []Status {
	out := append([]Status(nil), Statuses...)
	for _, st := range XCCDFStatuses {
		if r.Summary[st] > 0 {
			out = append(out, st)
		}
	}
	return out
}

// MaxFailedSeverity returns the highest severity among failing results, or
// 0 when there is none.
func (r *Report) MaxFailedSeverity() Severity {
	var max Severity
	for _, res := range r.Results {
		if res.Status.Base() == Fail && res.Severity > max {
			max = res.Severity
		}
	}
	return max
}

// Bounds on the evidence of one result, so that every report format stays
// proportional to the number of rules, not to the size of the target: a
// tree with hundreds of thousands of failing paths must not produce a
// report of hundreds of megabytes.
const (
	// DefaultMaxEvidence is how many evidence items a result keeps.
	DefaultMaxEvidence = 100
	// MaxEvidenceText bounds each text field of an evidence item.
	MaxEvidenceText = 4096
)

// BoundEvidence keeps the first max evidence items of r (DefaultMaxEvidence
// when max is 0, no limit when it is negative) and adds an item "and N
// more" that every renderer shows, with N in EvidenceOmitted. Text fields
// longer than MaxEvidenceText are cut.
func (r *Result) BoundEvidence(max int) {
	if max == 0 {
		max = DefaultMaxEvidence
	}
	if max > 0 && len(r.Evidence) > max {
		r.EvidenceOmitted += len(r.Evidence) - max
		r.Evidence = append(r.Evidence[:max:max], Evidence{
			Observed: fmt.Sprintf("and %d more", r.EvidenceOmitted),
			Note:     fmt.Sprintf("evidence is limited to %d items per result", max),
		})
	}
	for i := range r.Evidence {
		ev := &r.Evidence[i]
		ev.Expected, ev.Observed, ev.File, ev.Note = cut(ev.Expected), cut(ev.Observed), cut(ev.File), cut(ev.Note)
	}
	r.Reason = cut(r.Reason)
}

// cut shortens s to MaxEvidenceText bytes (on a rune boundary), marking
// the cut.
func cut(s string) string {
	if len(s) <= MaxEvidenceText {
		return s
	}
	n := MaxEvidenceText
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + fmt.Sprintf("… (%d bytes cut)", len(s)-n)
}
