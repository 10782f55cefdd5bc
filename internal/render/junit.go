package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/result"
)

// JUnit XML as read by CI systems (Jenkins, GitLab, GitHub test reporters):
// one testsuite per scan, named after the profile, one testcase per rule.
//   - fail     -> <failure message=reason-or-title type=severity> with the evidence
//   - error    -> <error message=reason type="error">
//   - not_applicable, waived -> <skipped message=reason / waiver justification>
//   - pass     -> an empty testcase
//
// Report text is mostly shown in browsers by CI systems, so control
// characters and bidirectional overrides from scanned files are written as
// visible escapes first; encoding/xml then escapes markup and replaces
// invalid UTF-8 with U+FFFD.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Hostname   string          `xml:"hostname,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// JUnit writes the report as JUnit XML.
func JUnit(w io.Writer, r *result.Report, _ Options) error {
	r = mapStrings(r, visible)
	suite := junitSuite{
		Name:     orDefault(r.Profile, "default"),
		Time:     junitSeconds(r.DurationMS),
		Hostname: r.Target.Hostname,
		Cases:    make([]junitCase, 0, len(r.Results)),
	}
	for _, p := range []junitProperty{
		{"tool", strings.TrimSpace(orDefault(r.Tool.Name, "cradle") + " " + r.Tool.Version)},
		{"schema_version", r.SchemaVersion},
		{"target.kind", r.Target.Kind},
		{"target.name", r.Target.Name},
		{"target.os", r.Target.OS},
		{"profile", r.Profile},
	} {
		if p.Value != "" {
			suite.Properties = append(suite.Properties, p)
		}
	}
	if !r.StartedAt.IsZero() {
		// JUnit's timestamp is ISO 8601 without a zone; it is UTC here.
		suite.Timestamp = r.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}
	for _, res := range r.Results {
		suite.Tests++
		tc := junitCase{ClassName: area(res.RuleID), Name: junitName(res)}
		switch res.Status.Base() {
		case result.Fail:
			suite.Failures++
			tc.Failure = &junitProblem{
				Message: failureMessage(res),
				Type:    res.Severity.String(),
				Body:    junitDetails(res),
			}
		case result.Error:
			suite.Errors++
			tc.Error = &junitProblem{
				Message: orDefault(res.Reason, "rule could not be evaluated"),
				Type:    "error",
				Body:    junitDetails(res),
			}
		case result.NotApplicable:
			suite.Skipped++
			tc.Skipped = &junitSkipped{Message: "not applicable: " + orDefault(res.Reason, "no reason given")}
		case result.Waived:
			suite.Skipped++
			tc.Skipped = &junitSkipped{Message: waiverMessage(res)}
			tc.SystemOut = junitDetails(res)
		case result.Pass:
			tc.SystemOut = junitDetails(res)
		}
		suite.Cases = append(suite.Cases, tc)
	}
	doc := junitSuites{
		Name: "cradle", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Skipped: suite.Skipped, Time: suite.Time, Suites: []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// failureMessage is the one line CI systems show for a failure: the reason,
// else the first observation, else the title.
func failureMessage(res result.Result) string {
	if res.Reason != "" {
		return res.Reason
	}
	if len(res.Evidence) > 0 {
		return evidenceLine(res.Evidence[0])
	}
	return orDefault(res.Title, res.RuleID)
}

func junitName(res result.Result) string {
	if res.Title == "" {
		return res.RuleID
	}
	return res.RuleID + ": " + res.Title
}

// waiverMessage explains a waived result: the waiver and what it overrode.
func waiverMessage(res result.Result) string {
	var b strings.Builder
	b.WriteString("waived")
	if res.WaivedStatus != "" {
		b.WriteString(" (" + string(res.WaivedStatus) + ")")
	} else {
		b.WriteString(" without evaluation")
	}
	if w := res.Waiver; w != nil {
		b.WriteString(": " + w.Justification)
		var meta []string
		if w.Owner != "" {
			meta = append(meta, "owner "+w.Owner)
		}
		if w.Expires != "" {
			meta = append(meta, "expires "+w.Expires)
		}
		if w.Source != "" {
			meta = append(meta, "source "+w.Source)
		}
		if len(meta) > 0 {
			b.WriteString(" [" + strings.Join(meta, ", ") + "]")
		}
	} else if res.Reason != "" {
		b.WriteString(": " + res.Reason)
	}
	return b.String()
}

// junitDetails is the human-readable body: reason, evidence, references.
func junitDetails(res result.Result) string {
	var lines []string
	lines = append(lines, "severity: "+res.Severity.String())
	if res.Reason != "" {
		lines = append(lines, "reason: "+res.Reason)
	}
	for _, ev := range res.Evidence {
		lines = append(lines, "evidence: "+evidenceLine(ev))
	}
	for _, k := range refKeys(res.References) {
		if ids := res.References[k]; len(ids) > 0 {
			lines = append(lines, refLabel(k)+": "+strings.Join(ids, ", "))
		}
	}
	return strings.Join(lines, "\n")
}

func junitSeconds(ms int64) string {
	return fmt.Sprintf("%.3f", (time.Duration(ms) * time.Millisecond).Seconds())
}
