package render

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/result"
)

// XCCDF writes an XCCDF 1.2 TestResult (a global element of the XCCDF
// schema) so SCAP tooling can read cradle's results. A report of SCAP
// content keeps its benchmark, profile, rule ids, idents, values and
// score; a report of cradle's own rules is given XCCDF ids under
// xccdf_org.cradle-cra and its waivers become informational results.
func XCCDF(w io.Writer, r *result.Report, _ Options) error {
	tr := testResult(r)
	tr.XMLNS = nsXCCDF
	return writeXML(w, tr)
}

// ARF writes an Asset Reporting Format 1.1 collection: the target as an
// asset and the TestResult as its report. A SCAP result data stream
// (NIST SP 800-126) carries the source data-stream collection that was
// evaluated as the report request the report was created for, as
// OpenSCAP's --results-arf does; reports of a plain benchmark or of
// cradle's own rules have no source data stream and no request.
func ARF(w io.Writer, r *result.Report, _ Options) error {
	tr := testResult(r)
	tr.XMLNS = nsXCCDF
	doc := arfCollection{
		XMLNS: "http://scap.nist.gov/schema/asset-reporting-format/1.1", XMLNSCore: "http://scap.nist.gov/schema/reporting-core/1.1",
		XMLNSAI:    "http://scap.nist.gov/schema/asset-identification/1.1",
		Assets:     []arfAsset{{ID: "asset0", Device: arfDevice{Hostname: r.Target.Hostname}}},
		Reports:    []arfReport{{ID: "xccdf1", Content: arfContent{TR: tr}}},
		Rels:       []arfRel{{Type: "arfvocab:isAbout", Subject: "xccdf1", Ref: "asset0"}},
		XMLNSVocab: "http://scap.nist.gov/specifications/arf/vocabulary/relationships/1.0#",
	}
	if r.SCAP != nil && len(r.SCAP.Source) > 0 {
		doc.Requests = &arfRequests{[]arfRequest{{ID: "collection1", Content: arfRaw{Inner: string(xmlBody(r.SCAP.Source))}}}}
		doc.Rels = append(doc.Rels, arfRel{Type: "arfvocab:createdFor", Subject: "xccdf1", Ref: "collection1"})
	}
	return writeXML(w, doc)
}

// xmlBody returns a document from its root element on: without a byte
// order mark, XML declaration, processing instructions and comments
// before the root, so it can be embedded in another document.
func xmlBody(b []byte) []byte {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		var end []byte
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			end = []byte("?>")
		case bytes.HasPrefix(b, []byte("<!--")):
			end = []byte("-->")
		default:
			return b
		}
		i := bytes.Index(b, end)
		if i < 0 {
			return nil
		}
		b = b[i+len(end):]
	}
}

const nsXCCDF = "http://checklists.nist.gov/xccdf/1.2"

func writeXML(w io.Writer, v any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

type xTestResult struct {
	XMLName    xml.Name    `xml:"TestResult"`
	XMLNS      string      `xml:"xmlns,attr,omitempty"`
	ID         string      `xml:"id,attr"`
	Start      string      `xml:"start-time,attr,omitempty"`
	End        string      `xml:"end-time,attr"`
	Version    string      `xml:"version,attr,omitempty"`
	TestSystem string      `xml:"test-system,attr"`
	Benchmark  xBenchRef   `xml:"benchmark"`
	Title      string      `xml:"title"`
	Profile    *xIdref     `xml:"profile"`
	Target     string      `xml:"target"`
	Facts      []xFact     `xml:"target-facts>fact"`
	SetValues  []xSetValue `xml:"set-value"`
	Rules      []xRuleRes  `xml:"rule-result"`
	Score      xScore      `xml:"score"`
}

type xBenchRef struct {
	Href string `xml:"href,attr"`
	ID   string `xml:"id,attr,omitempty"`
}

type xIdref struct {
	Idref string `xml:"idref,attr"`
}

type xFact struct {
	Name  string `xml:"name,attr"`
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
}

type xSetValue struct {
	Idref string `xml:"idref,attr"`
	Value string `xml:",chardata"`
}

type xRuleRes struct {
	Idref    string     `xml:"idref,attr"`
	Role     string     `xml:"role,attr,omitempty"`
	Time     string     `xml:"time,attr,omitempty"`
	Severity string     `xml:"severity,attr"`
	Weight   string     `xml:"weight,attr"`
	Result   string     `xml:"result"`
	Idents   []xIdent   `xml:"ident"`
	Messages []xMessage `xml:"message"`
	Checks   []xCheck   `xml:"check"`
}

type xIdent struct {
	System string `xml:"system,attr"`
	Value  string `xml:",chardata"`
}

type xMessage struct {
	Severity string `xml:"severity,attr"`
	Text     string `xml:",chardata"`
}

type xCheck struct {
	System string      `xml:"system,attr"`
	Ref    xContentRef `xml:"check-content-ref"`
}

type xContentRef struct {
	Name string `xml:"name,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type xScore struct {
	System  string `xml:"system,attr"`
	Maximum string `xml:"maximum,attr"`
	Value   string `xml:",chardata"`
}

var xccdfIDUnsafe = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// testResult builds the TestResult of a report.
func testResult(r *result.Report) xTestResult {
	const org = "xccdf_org.cradle-cra_"
	s := r.SCAP
	if s == nil {
		s = &result.SCAPRun{Benchmark: org + "benchmark_cradle", Profile: org + "profile_" + xccdfIDUnsafe.ReplaceAllString(r.Profile, "_"),
			ScoreSystem: "urn:xccdf:scoring:default", MaxScore: 100, Score: ownScore(r)}
	}
	prof := s.Profile
	suffix := prof
	if i := strings.Index(prof, "_profile_"); i >= 0 {
		suffix = prof[i+len("_profile_"):]
	}
	end := r.StartedAt.Add(msDuration(r.DurationMS))
	tr := xTestResult{
		ID:         org + "testresult_" + xccdfIDUnsafe.ReplaceAllString(orDefault(suffix, "default"), "_"),
		End:        end.UTC().Format("2006-01-02T15:04:05Z"),
		Version:    s.BenchmarkVersion,
		TestSystem: "cpe:/a:cradle-cra:cradle:" + r.Tool.Version,
		Benchmark:  xBenchRef{Href: benchHref(s), ID: s.Benchmark},
		Title:      "cradle " + r.Tool.Version + " evaluation of " + orDefault(s.ProfileTitle, prof),
		Target:     orDefault(r.Target.Hostname, r.Target.Name),
		Score:      xScore{System: s.ScoreSystem, Maximum: fmt.Sprintf("%.6f", s.MaxScore), Value: fmt.Sprintf("%.6f", s.Score)},
	}
	if !r.StartedAt.IsZero() {
		tr.Start = r.StartedAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	if !strings.HasPrefix(prof, "(") {
		tr.Profile = &xIdref{Idref: prof}
	}
	for _, f := range []struct{ name, v string }{
		{"urn:xccdf:fact:asset:identifier:host_name", r.Target.Hostname},
		{"urn:xccdf:fact:asset:identifier:os_name", r.Target.OS},
		{"urn:xccdf:fact:cradle:target", r.Target.Kind + ":" + r.Target.Name},
	} {
		if f.v != "" {
			tr.Facts = append(tr.Facts, xFact{Name: f.name, Type: "string", Value: f.v})
		}
	}
	for _, v := range s.Values {
		tr.SetValues = append(tr.SetValues, xSetValue{Idref: v.ID, Value: v.Value})
	}
	for _, res := range r.Results {
		tr.Rules = append(tr.Rules, ruleResult(res, r.SCAP == nil, org, tr.End))
	}
	return tr
}

func ruleResult(res result.Result, own bool, org, when string) xRuleRes {
	rr := xRuleRes{Idref: res.RuleID, Time: when, Severity: xccdfSeverity(res.Severity), Weight: "1.000000", Result: string(res.Status)}
	if own {
		rr.Idref = org + "rule_" + xccdfIDUnsafe.ReplaceAllString(res.RuleID, "_")
		switch res.Status {
		case result.NotApplicable:
			rr.Result = "notapplicable"
		case result.Waived:
			rr.Result = "informational"
			if res.Waiver != nil {
				rr.Messages = append(rr.Messages, xMessage{Severity: "info", Text: "waived (" + orDefault(string(res.WaivedStatus), "not evaluated") + "): " + res.Waiver.Justification})
			}
		}
	}
	if sc := res.SCAP; sc != nil {
		rr.Weight, rr.Role = fmt.Sprintf("%.6f", sc.Weight), sc.Role
		for _, id := range sc.Idents {
			rr.Idents = append(rr.Idents, xIdent{System: id.System, Value: id.Value})
		}
		for _, c := range sc.Checks {
			rr.Checks = append(rr.Checks, xCheck{System: c.System, Ref: xContentRef{Name: c.Name, Href: c.Href}})
		}
	}
	if res.Reason != "" {
		sev := "info"
		if res.Status.Base() == result.Error {
			sev = "error"
		}
		rr.Messages = append(rr.Messages, xMessage{Severity: sev, Text: res.Reason})
	}
	// Evidence (already bounded, with an "and N more" item when cut) is
	// kept as informational messages so SCAP consumers see what was read.
	for _, e := range res.Evidence {
		rr.Messages = append(rr.Messages, xMessage{Severity: "info", Text: evidenceText(e)})
	}
	return rr
}

func benchHref(s *result.SCAPRun) string {
	if s.DataStream != "" {
		return "#" + s.DataStream
	}
	return orDefault(s.Content, "cradle")
}

func xccdfSeverity(s result.Severity) string {
	switch s {
	case result.SeverityInfo:
		return "info"
	case result.SeverityLow:
		return "low"
	case result.SeverityMedium:
		return "medium"
	case result.SeverityHigh, result.SeverityCritical:
		return "high"
	}
	return "unknown"
}

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// ownScore is the default model over a flat list: passes over evaluated.
func ownScore(r *result.Report) float64 {
	pass, n := 0, 0
	for _, res := range r.Results {
		switch res.Status.Base() {
		case result.Pass:
			pass++
			n++
		case result.Fail, result.Error:
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return 100 * float64(pass) / float64(n)
}

type arfCollection struct {
	XMLName    xml.Name     `xml:"asset-report-collection"`
	XMLNS      string       `xml:"xmlns,attr"`
	XMLNSCore  string       `xml:"xmlns:core,attr"`
	XMLNSAI    string       `xml:"xmlns:ai,attr"`
	XMLNSVocab string       `xml:"xmlns:arfvocab,attr"`
	Rels       []arfRel     `xml:"core:relationships>core:relationship"`
	Requests   *arfRequests `xml:"report-requests,omitempty"`
	Assets     []arfAsset   `xml:"assets>asset"`
	Reports    []arfReport  `xml:"reports>report"`
}

type arfRel struct {
	Type    string `xml:"type,attr"`
	Subject string `xml:"subject,attr"`
	Ref     string `xml:"core:ref"`
}

type arfAsset struct {
	ID     string    `xml:"id,attr"`
	Device arfDevice `xml:"ai:computing-device"`
}

type arfDevice struct {
	Hostname string `xml:"ai:hostname,omitempty"`
}

type arfReport struct {
	ID      string     `xml:"id,attr"`
	Content arfContent `xml:"content"`
}

type arfRequests struct {
	List []arfRequest `xml:"report-request"`
}

type arfRequest struct {
	ID      string `xml:"id,attr"`
	Content arfRaw `xml:"content"`
}

// arfRaw is XML written as it is (the source data stream, already parsed
// and bounded when it was read).
type arfRaw struct {
	Inner string `xml:",innerxml"`
}

type arfContent struct {
	TR xTestResult `xml:"TestResult"`
}

// evidenceText is one evidence item on a line: where, what was observed,
// what was expected.
func evidenceText(e result.Evidence) string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Observed)
	if e.Expected != "" {
		b.WriteString(" (expected " + e.Expected + ")")
	}
	if e.Note != "" {
		b.WriteString(" [" + e.Note + "]")
	}
	return b.String()
}
