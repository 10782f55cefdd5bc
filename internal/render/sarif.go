package render

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/cradle-cra/cradle/internal/result"
)

// SARIF output follows OASIS SARIF 2.1.0 and the extra requirements of
// GitHub code scanning (every result located, rules with fullDescription).
//
// Mapping (also in docs/json-schema.md):
//   - every rule in the report is a reportingDescriptor in tool.driver.rules;
//   - fail results are results with kind "fail" and a level from the
//     severity (critical/high: error, medium: warning, low/info: note);
//   - error results (the rule could not be evaluated) are results with kind
//     "review" and level "none" (SARIF requires level none for kinds other
//     than fail), so a consumer that only reads results never mistakes an
//     unevaluated rule for a clean one; each is also a tool execution
//     notification of level error, where SARIF tooling reports tool trouble;
//   - waived results are emitted as their underlying outcome with an
//     external, accepted suppression carrying the justification; a rule
//     waived without evaluation is a suppressed "review" result;
//   - pass and not_applicable produce no result; their counts are in
//     run.properties.summary.
//
// Locations are evidence files relative to the uriBaseId TARGETROOT, which
// run.originalUriBaseIds resolves to the scanned root when it has a file
// URI (host and root filesystem targets). A result without file evidence
// points at the root itself (uri "."), because code-scanning services
// reject a log in which any result has no location.

const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	sarifRootID  = "TARGETROOT"
	toolInfoURI  = "https://github.com/cradle-cra/cradle"
	// fingerprintKey versions the partial fingerprint algorithm.
	fingerprintKey = "cradleRuleFile/v1"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                        `json:"tool"`
	Invocations        []sarifInvocation                `json:"invocations"`
	OriginalURIBaseIDs map[string]sarifArtifactLocation `json:"originalUriBaseIds,omitempty"`
	Results            []sarifResult                    `json:"results"`
	Properties         *sarifRunProperties              `json:"properties,omitempty"`
}

type sarifRunProperties struct {
	Profile       string         `json:"profile"`
	Target        result.Target  `json:"target"`
	Summary       result.Summary `json:"summary"`
	SchemaVersion string         `json:"reportSchemaVersion"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	SemVer         string      `json:"semanticVersion,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string              `json:"id"`
	Name                 string              `json:"name"`
	ShortDescription     sarifMultiformat    `json:"shortDescription"`
	FullDescription      *sarifMultiformat   `json:"fullDescription,omitempty"`
	Help                 *sarifMultiformat   `json:"help,omitempty"`
	DefaultConfiguration sarifConfiguration  `json:"defaultConfiguration"`
	Properties           sarifRuleProperties `json:"properties"`
}

type sarifMultiformat struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifRuleProperties struct {
	Severity string `json:"severity"`
	// SecuritySeverity is the CVSS-like score code-scanning services use to
	// rank security findings.
	SecuritySeverity string              `json:"security-severity"`
	Tags             []string            `json:"tags"`
	References       map[string][]string `json:"references,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	StartTimeUTC               string              `json:"startTimeUtc,omitempty"`
	EndTimeUTC                 string              `json:"endTimeUtc,omitempty"`
	Machine                    string              `json:"machine,omitempty"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level          string              `json:"level"`
	Message        sarifMessage        `json:"message"`
	AssociatedRule *sarifDescriptorRef `json:"associatedRule,omitempty"`
	Locations      []sarifLocation     `json:"locations,omitempty"`
}

type sarifDescriptorRef struct {
	ID    string `json:"id"`
	Index int    `json:"index"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string                `json:"ruleId"`
	RuleIndex           int                   `json:"ruleIndex"`
	Kind                string                `json:"kind"`
	Level               string                `json:"level"`
	Message             sarifMessage          `json:"message"`
	Locations           []sarifLocation       `json:"locations,omitempty"`
	PartialFingerprints map[string]string     `json:"partialFingerprints"`
	Suppressions        []sarifSuppression    `json:"suppressions,omitempty"`
	Properties          sarifResultProperties `json:"properties"`
}

type sarifResultProperties struct {
	Status       result.Status     `json:"status"`
	WaivedStatus result.Status     `json:"waivedStatus,omitempty"`
	Severity     string            `json:"severity"`
	Fixable      bool              `json:"fixable"`
	Reason       string            `json:"reason,omitempty"`
	Evidence     []result.Evidence `json:"evidence"`
}

type sarifSuppression struct {
	Kind          string                 `json:"kind"`
	Status        string                 `json:"status"`
	Justification string                 `json:"justification"`
	Properties    *sarifWaiverProperties `json:"properties,omitempty"`
}

type sarifWaiverProperties struct {
	Owner   string `json:"owner,omitempty"`
	Expires string `json:"expires,omitempty"`
	Source  string `json:"source,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
	Message          *sarifMessage         `json:"message,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI         string        `json:"uri,omitempty"`
	URIBaseID   string        `json:"uriBaseId,omitempty"`
	Description *sarifMessage `json:"description,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// SARIF writes the report as a SARIF 2.1.0 log with one run.
func SARIF(w io.Writer, r *result.Report, _ Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifFromReport(r))
}

func sarifFromReport(r *result.Report) sarifLog {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: orDefault(r.Tool.Name, "cradle"), Version: r.Tool.Version, SemVer: semVer(r.Tool.Version),
			InformationURI: toolInfoURI,
			Rules:          []sarifRule{},
		}},
		Results: []sarifResult{},
		Properties: &sarifRunProperties{
			Profile: r.Profile, Target: r.Target, Summary: fullSummary(r), SchemaVersion: r.SchemaVersion,
		},
	}
	inv := sarifInvocation{ExecutionSuccessful: true, Machine: r.Target.Hostname}
	if !r.StartedAt.IsZero() {
		start := r.StartedAt.UTC()
		inv.StartTimeUTC = start.Format(time.RFC3339Nano)
		inv.EndTimeUTC = start.Add(time.Duration(r.DurationMS) * time.Millisecond).Format(time.RFC3339Nano)
	}
	if root := sarifRoot(r.Target); root != nil {
		run.OriginalURIBaseIDs = map[string]sarifArtifactLocation{sarifRootID: *root}
	}

	index := map[string]int{}
	for _, res := range r.Results {
		i, seen := index[res.RuleID]
		if !seen {
			i = len(run.Tool.Driver.Rules)
			index[res.RuleID] = i
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleFor(res))
		}
		if sr, ok := sarifResultFor(res, i); ok {
			run.Results = append(run.Results, sr)
		}
		if res.Status == result.Error {
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
				Level:          "error",
				Message:        sarifMessage{Text: res.RuleID + " could not be evaluated: " + orDefault(res.Reason, "unknown error")},
				AssociatedRule: &sarifDescriptorRef{ID: res.RuleID, Index: i},
				Locations:      sarifLocations(res.Evidence),
			})
		}
	}
	run.Invocations = []sarifInvocation{inv}
	return sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}}
}

// semVerRE matches a release version, with an optional "v" prefix.
var semVerRE = regexp.MustCompile(`^v?([0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$`)

// semVer returns the Semantic Versioning 2.0 form of a release version
// ("v1.2.3" -> "1.2.3"), or "" for builds such as "dev".
func semVer(v string) string {
	if m := semVerRE.FindStringSubmatch(v); m != nil {
		return m[1]
	}
	return ""
}

// sarifRoot describes what TARGETROOT stands for. SARIF wants an absolute
// URI ending in a slash; an image has none, so it gets a description only.
func sarifRoot(t result.Target) *sarifArtifactLocation {
	desc := &sarifMessage{Text: "root of the scanned " + orDefault(t.Kind, "target") + " " + t.Name}
	if t.Kind == "image" || t.Name == "" {
		return &sarifArtifactLocation{Description: desc}
	}
	p := strings.ReplaceAll(t.Name, `\`, "/")
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows drive paths: file:///C:/...
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	u := url.URL{Scheme: "file", Path: p}
	return &sarifArtifactLocation{URI: u.String(), Description: desc}
}

func sarifRuleFor(res result.Result) sarifRule {
	rule := sarifRule{
		ID:                   res.RuleID,
		Name:                 ruleName(res.RuleID),
		ShortDescription:     sarifMultiformat{Text: orDefault(res.Title, res.RuleID)},
		DefaultConfiguration: sarifConfiguration{Level: sarifLevel(res.Severity)},
		Properties: sarifRuleProperties{
			Severity:         res.Severity.String(),
			SecuritySeverity: securitySeverity(res.Severity),
			Tags:             sarifTags(res.References),
			References:       res.References,
		},
	}
	// GitHub code scanning requires fullDescription; the title stands in
	// for a rule without a description.
	rule.FullDescription = &sarifMultiformat{Text: orDefault(res.Description, rule.ShortDescription.Text)}
	if text, md := sarifHelp(res); text != "" {
		rule.Help = &sarifMultiformat{Text: text, Markdown: md}
	}
	return rule
}

// sarifHelp is the rationale followed by the references, as text and
// Markdown.
func sarifHelp(res result.Result) (text, md string) {
	var t, m strings.Builder
	if res.Rationale != "" {
		t.WriteString(res.Rationale)
		m.WriteString(markdownEscape(res.Rationale))
	}
	for _, k := range refKeys(res.References) {
		ids := res.References[k]
		if len(ids) == 0 {
			continue
		}
		if t.Len() > 0 {
			t.WriteString("\n\n")
			m.WriteString("\n\n")
		}
		t.WriteString(refLabel(k) + ": " + strings.Join(ids, ", "))
		m.WriteString("**" + markdownEscape(refLabel(k)) + ":** " + markdownEscape(strings.Join(ids, ", ")))
	}
	return t.String(), m.String()
}

// markdownEscape backslash-escapes the Markdown punctuation that can start
// emphasis, code, links, HTML or tables inside a line, so that rule text
// shows literally.
func markdownEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>#|~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// sarifTags lists the reference ids: CRA ids as they are ("CRA.A1.P1.2d"),
// others prefixed with their framework.
func sarifTags(refs map[string][]string) []string {
	tags := []string{"security", "compliance"}
	seen := map[string]bool{}
	for _, k := range refKeys(refs) {
		for _, id := range refs[k] {
			tag := id
			switch k {
			case refCRA:
			case refNIST:
				tag = "NIST-800-53:" + id
			default:
				tag = k + ":" + id
			}
			if !seen[tag] {
				seen[tag] = true
				tags = append(tags, tag)
			}
		}
	}
	return tags
}

// sarifResultFor maps one report result; ok is false for statuses SARIF
// does not carry as results.
func sarifResultFor(res result.Result, ruleIndex int) (sr sarifResult, ok bool) {
	outcome := res.Status.Base()
	if res.Status == result.Waived {
		outcome = res.WaivedStatus
	}
	sr = sarifResult{
		RuleID: res.RuleID, RuleIndex: ruleIndex,
		Locations:           sarifLocations(res.Evidence),
		PartialFingerprints: map[string]string{fingerprintKey: fingerprint(res)},
		Properties: sarifResultProperties{
			Status: res.Status, WaivedStatus: res.WaivedStatus, Severity: res.Severity.String(),
			Fixable: res.Fixable, Reason: res.Reason, Evidence: nonNilEvidence(res.Evidence),
		},
	}
	switch outcome {
	case result.Fail:
		sr.Kind, sr.Level = "fail", sarifLevel(res.Severity)
	case result.Error, "":
		// "" is a rule waived without evaluation: nobody knows its outcome.
		sr.Kind, sr.Level = "review", "none"
	default:
		return sr, false
	}
	if len(sr.Locations) == 0 {
		// Code-scanning services reject a whole log when one result has no
		// location; a finding about the target as a whole points at its root.
		sr.Locations = []sarifLocation{{
			PhysicalLocation: sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: ".", URIBaseID: sarifRootID}},
			Message:          &sarifMessage{Text: "applies to the target as a whole (no file evidence)"},
		}}
	}
	sr.Message = sarifMessage{Text: sarifResultMessage(res, outcome)}
	if w := res.Waiver; w != nil {
		sup := sarifSuppression{Kind: "external", Status: "accepted", Justification: w.Justification}
		if w.Owner != "" || w.Expires != "" || w.Source != "" {
			sup.Properties = &sarifWaiverProperties{Owner: w.Owner, Expires: w.Expires, Source: w.Source}
		}
		sr.Suppressions = []sarifSuppression{sup}
	}
	return sr, true
}

func sarifResultMessage(res result.Result, outcome result.Status) string {
	var b strings.Builder
	switch outcome {
	case result.Fail:
		b.WriteString("Not met: ")
	case result.Error:
		b.WriteString("Could not be evaluated: ")
	default:
		b.WriteString("Not evaluated: ")
	}
	b.WriteString(orDefault(res.Title, res.RuleID))
	if res.Reason != "" {
		b.WriteString(" (" + res.Reason + ")")
	}
	b.WriteString(".")
	for _, ev := range res.Evidence {
		b.WriteString("\n" + evidenceLine(ev))
	}
	return b.String()
}

// sarifLocations gives one location per distinct evidence file and line.
func sarifLocations(evs []result.Evidence) []sarifLocation {
	var out []sarifLocation
	seen := map[string]bool{}
	for _, ev := range evs {
		if ev.File == "" {
			continue
		}
		loc := sarifLocation{PhysicalLocation: sarifPhysicalLocation{
			ArtifactLocation: sarifArtifactLocation{URI: relativeURI(ev.File), URIBaseID: sarifRootID},
		}}
		if ev.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: ev.Line}
		}
		key := fmt.Sprintf("%s:%d", loc.PhysicalLocation.ArtifactLocation.URI, ev.Line)
		if seen[key] {
			continue
		}
		seen[key] = true
		msg := "observed " + orDash(ev.Observed)
		if ev.Expected != "" {
			msg += "; expected " + ev.Expected
		}
		loc.Message = &sarifMessage{Text: msg}
		out = append(out, loc)
	}
	return out
}

// relativeURI turns a target path ("/etc/ssh/sshd_config") into a relative
// URI reference ("etc/ssh/sshd_config") with every segment percent-encoded.
func relativeURI(file string) string {
	segs := strings.Split(strings.TrimLeft(strings.ReplaceAll(file, `\`, "/"), "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	// A colon in the first segment would read as a URI scheme.
	segs[0] = strings.ReplaceAll(segs[0], ":", "%3A")
	return strings.Join(segs, "/")
}

// fingerprint identifies a finding across scans: the rule and the first
// evidence file, not the line, so an edit elsewhere in the file keeps it.
func fingerprint(res result.Result) string {
	file := ""
	for _, ev := range res.Evidence {
		if ev.File != "" {
			file = ev.File
			break
		}
	}
	sum := sha256.Sum256([]byte(res.RuleID + "\x00" + file))
	return hex.EncodeToString(sum[:16])
}

func sarifLevel(s result.Severity) string {
	switch {
	case s >= result.SeverityHigh:
		return "error"
	case s == result.SeverityMedium:
		return "warning"
	}
	return "note"
}

// securitySeverity maps severities into the score bands code-scanning
// services use (critical > 9, high 7-8.9, medium 4-6.9, low < 4).
func securitySeverity(s result.Severity) string {
	switch s {
	case result.SeverityCritical:
		return "9.5"
	case result.SeverityHigh:
		return "8.0"
	case result.SeverityMedium:
		return "5.5"
	case result.SeverityLow:
		return "3.0"
	}
	return "0.0"
}

// ruleName is the PascalCase form of a rule id, the identifier-like name
// SARIF viewers show ("ssh.permit_root_login" -> "SshPermitRootLogin").
func ruleName(id string) string {
	var b strings.Builder
	up := true
	for _, r := range id {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fullSummary returns the counts with cradle's five statuses always
// present and the XCCDF ones a result has, counting the results when the
// report carries no summary.
func fullSummary(r *result.Report) result.Summary {
	s := result.Summary{}
	for _, st := range result.Statuses {
		s[st] = r.Summary[st]
	}
	for _, st := range result.XCCDFStatuses {
		if n := r.Summary[st]; n > 0 {
			s[st] = n
		}
	}
	if r.Summary == nil {
		for _, res := range r.Results {
			s[res.Status]++
		}
	}
	return s
}

// baseSummary is fullSummary with the XCCDF statuses folded into the five
// they fall under (result.Status.Base).
func baseSummary(r *result.Report) result.Summary {
	s := result.Summary{}
	for st, n := range fullSummary(r) {
		s[st.Base()] += n
	}
	return s
}

func nonNilEvidence(evs []result.Evidence) []result.Evidence {
	if evs == nil {
		return []result.Evidence{}
	}
	return evs
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
