// Package result holds cradle's one result model: every check produces
// Results with evidence, and every output format renders a Report.
package result

import (
	"fmt"
	"strings"
	"time"
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
	Waiver     *Waiver             `json:"waiver,omitempty"`
	// WaivedStatus keeps the status a waiver overrode.
	WaivedStatus Status `json:"waived_status,omitempty"`
	Description  string `json:"description,omitempty"`
	Rationale    string `json:"rationale,omitempty"`
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

// MaxFailedSeverity returns the highest severity among failing results, or
// 0 when there is none.
func (r *Report) MaxFailedSeverity() Severity {
	var max Severity
	for _, res := range r.Results {
		if res.Status == Fail && res.Severity > max {
			max = res.Severity
		}
	}
	return max
}
