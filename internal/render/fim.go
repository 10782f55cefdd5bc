package render

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/fim"
	"github.com/cradle-cra/cradle/internal/result"
)

// The fim_report (cradle fim init|check|update|show) in the formats of
// scan reports. Every renderer starts from fim.Report.Portable, the
// report as its saved JSON reads back, and shows target-controlled names
// through fim.Printable (Go-quoted when they hold control characters,
// bidirectional overrides or invalid UTF-8): a converted report renders
// to the same bytes, and no name can pose as another.
//
// SARIF: rules fim.added, fim.removed and fim.changed, one result per
// change located at its path (relative to TARGETROOT), its message the
// attribute differences old -> new. A change that can alter what runs or
// with which rights — content (a digest), link target, type, a new
// setuid/setgid bit, or a digest the database never recorded — is
// possible tampering: level error; other changes are warnings. Entries
// that could not be read are tool execution notifications of level
// error (their integrity was not verified).
//
// JUnit: one testsuite per report, one failing testcase per change, one
// error testcase per unreadable entry and one testcase for the database
// as a whole: passing only when a check compared entries and found no
// change, skipped when nothing was compared (init, show, an empty walk).

// FIM change rule ids.
const (
	FIMRuleAdded   = "fim.added"
	FIMRuleRemoved = "fim.removed"
	FIMRuleChanged = "fim.changed"
)

var fimRules = []struct{ id, kind, title, help string }{
	{FIMRuleAdded, fim.Added, "Path added since the integrity database",
		"A path the policy selects exists now but is not in the signed integrity database."},
	{FIMRuleRemoved, fim.Removed, "Path removed since the integrity database",
		"A path recorded in the signed integrity database no longer exists."},
	{FIMRuleChanged, fim.Changed, "Path changed since the integrity database",
		"An attribute the policy selects (content digest, mode, owner, times, link target, ...) differs from the signed integrity database."},
}

// FIMTampering reports whether c can alter what runs or with which
// rights: its content, link target or type changed, it gained a setuid
// or setgid bit, or its content was never verified.
func FIMTampering(c fim.Change) bool {
	for _, d := range c.Diffs {
		switch d.Attr {
		case "sha256", "sha512", "blake3", "target", "type":
			return true
		case "mode":
			old, err1 := strconv.ParseUint(d.Old, 8, 32)
			cur, err2 := strconv.ParseUint(d.New, 8, 32)
			if err1 != nil || err2 != nil || cur&^old&0o6000 != 0 {
				return true
			}
		}
	}
	return false
}

func fimLevel(c fim.Change) string {
	if FIMTampering(c) {
		return "error"
	}
	return "warning"
}

// fimChangeText is one line naming the change and its differences.
func fimChangeText(c fim.Change) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", c.Kind, orDefault(c.Type, "entry"), fim.Printable(c.Path))
	for i, d := range c.Diffs {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %s -> %s", d.Attr, orDash(fim.Printable(d.Old)), orDash(fim.Printable(d.New)))
	}
	if c.Unstable {
		b.WriteString(" (changed while hashed)")
	}
	return b.String()
}

// fimRoot is what TARGETROOT stands for: the host's or root directory's
// file URI, or a description only for an image.
func fimRoot(target string) *sarifArtifactLocation {
	desc := &sarifMessage{Text: "root of " + target}
	kind, dir, _ := strings.Cut(target, ":")
	switch {
	case kind == "host":
		dir = "/"
	case kind != "root" || dir == "":
		return &sarifArtifactLocation{Description: desc}
	}
	return sarifRoot(result.Target{Kind: kind, Name: dir})
}

type fimSARIFRun struct {
	Tool               sarifTool                        `json:"tool"`
	Invocations        []sarifInvocation                `json:"invocations"`
	OriginalURIBaseIDs map[string]sarifArtifactLocation `json:"originalUriBaseIds,omitempty"`
	Results            []fimSARIFResult                 `json:"results"`
	Properties         fimSARIFRunProperties            `json:"properties"`
}

type fimSARIFRunProperties struct {
	Command       string         `json:"command"`
	Target        string         `json:"target"`
	Policy        fim.PolicyInfo `json:"policy"`
	Database      *fim.DBInfo    `json:"database,omitempty"`
	Previous      *fim.DBInfo    `json:"previous,omitempty"`
	PolicyChanged bool           `json:"policyChanged,omitempty"`
	Summary       fim.Summary    `json:"summary"`
	SchemaVersion string         `json:"reportSchemaVersion"`
}

type fimSARIFResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Kind                string            `json:"kind"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          fimSARIFChange    `json:"properties"`
}

type fimSARIFChange struct {
	Change    string     `json:"change"`
	Type      string     `json:"type"`
	Tampering bool       `json:"tampering"`
	Unstable  bool       `json:"unstable,omitempty"`
	Diffs     []fim.Diff `json:"diffs"`
}

// FIMSARIF writes a fim report as a SARIF 2.1.0 log with one run.
func FIMSARIF(w io.Writer, r *fim.Report) error {
	r = r.Portable()
	driver := sarifDriver{Name: "cradle", InformationURI: toolInfoURI, Rules: []sarifRule{}}
	index := map[string]int{}
	for i, rl := range fimRules {
		index[rl.kind] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID: rl.id, Name: ruleName(rl.id), ShortDescription: sarifMultiformat{Text: rl.title},
			FullDescription:      &sarifMultiformat{Text: rl.help},
			Help:                 &sarifMultiformat{Text: rl.help + " Review it; accept intended changes with `cradle fim update`."},
			DefaultConfiguration: sarifConfiguration{Level: "warning"},
			Properties: sarifRuleProperties{Severity: "high", SecuritySeverity: "8.0",
				Tags: []string{"security", "integrity", "CRA.A1.P1.2f"}, References: map[string][]string{refCRA: {"CRA.A1.P1.2f"}}},
		})
	}
	run := fimSARIFRun{
		Tool:    sarifTool{Driver: driver},
		Results: []fimSARIFResult{},
		Properties: fimSARIFRunProperties{Command: r.Command, Target: r.Target, Policy: r.Policy, Database: r.Database,
			Previous: r.Previous, PolicyChanged: r.PolicyChanged, Summary: r.Summary, SchemaVersion: r.SchemaVersion},
		OriginalURIBaseIDs: map[string]sarifArtifactLocation{sarifRootID: *fimRoot(r.Target)},
	}
	inv := sarifInvocation{ExecutionSuccessful: true}
	if !r.Time.IsZero() {
		inv.StartTimeUTC = r.Time.UTC().Format(time.RFC3339Nano)
		inv.EndTimeUTC = r.Time.UTC().Add(time.Duration(r.Summary.Seconds * float64(time.Second))).Format(time.RFC3339Nano)
	}
	for _, p := range r.Problems {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level:     "error",
			Message:   sarifMessage{Text: "not verified: " + fim.Printable(p.Error)},
			Locations: []sarifLocation{fimLocation(p.Path)},
		})
	}
	for _, c := range r.Changes {
		i, ok := index[c.Kind]
		if !ok {
			continue // a kind of a newer version: not one of these rules
		}
		sum := sha256.Sum256([]byte(fimRules[i].id + "\x00" + c.Path))
		diffs := c.Diffs
		if diffs == nil {
			diffs = []fim.Diff{}
		}
		run.Results = append(run.Results, fimSARIFResult{
			RuleID: fimRules[i].id, RuleIndex: i, Kind: "fail", Level: fimLevel(c),
			Message:             sarifMessage{Text: fimChangeText(c)},
			Locations:           []sarifLocation{fimLocation(c.Path)},
			PartialFingerprints: map[string]string{"cradleFIMPath/v1": hex.EncodeToString(sum[:16])},
			Properties:          fimSARIFChange{Change: c.Kind, Type: c.Type, Tampering: FIMTampering(c), Unstable: c.Unstable, Diffs: diffs},
		})
	}
	run.Invocations = []sarifInvocation{inv}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		Schema  string        `json:"$schema"`
		Version string        `json:"version"`
		Runs    []fimSARIFRun `json:"runs"`
	}{sarifSchema, sarifVersion, []fimSARIFRun{run}})
}

// fimLocation locates a path of the target; its bytes are percent-encoded
// exactly, whatever they are.
func fimLocation(path string) sarifLocation {
	return sarifLocation{PhysicalLocation: sarifPhysicalLocation{
		ArtifactLocation: sarifArtifactLocation{URI: fimURI(path), URIBaseID: sarifRootID},
	}}
}

func fimURI(path string) string {
	if strings.Trim(path, "/") == "" {
		return "."
	}
	segs := strings.Split(strings.TrimLeft(path, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	segs[0] = strings.ReplaceAll(segs[0], ":", "%3A") // not a scheme
	return strings.Join(segs, "/")
}

// FIMJUnit writes a fim report as JUnit XML.
func FIMJUnit(w io.Writer, r *fim.Report) error {
	r = r.Portable()
	suite := junitSuite{
		Name:  "fim " + r.Command,
		Time:  fmt.Sprintf("%.3f", r.Summary.Seconds),
		Cases: make([]junitCase, 0, len(r.Changes)+len(r.Problems)+1),
	}
	for _, p := range []junitProperty{
		{"schema_version", r.SchemaVersion},
		{"target", visible(r.Target)},
		{"policy", visible(r.Policy.Name)},
		{"policy_sha256", r.Policy.Hash},
	} {
		if p.Value != "" {
			suite.Properties = append(suite.Properties, p)
		}
	}
	if d := r.Database; d != nil {
		suite.Hostname = visible(d.Host)
		suite.Properties = append(suite.Properties, junitProperty{"database", visible(d.Path)},
			junitProperty{"database.seq", strconv.FormatUint(d.Seq, 10)}, junitProperty{"database.digest", d.Digest})
	}
	if !r.Time.IsZero() {
		suite.Timestamp = r.Time.UTC().Format("2006-01-02T15:04:05")
	}
	verdict := junitCase{ClassName: "fim", Name: "integrity database"}
	switch {
	case r.Command != fim.CmdCheck && r.Command != fim.CmdUpdate:
		verdict.Skipped = &junitSkipped{Message: "fim " + r.Command + " compares nothing"}
	case r.Summary.Entries == 0 && len(r.Changes) == 0:
		verdict.Skipped = &junitSkipped{Message: "nothing compared: the walk found no entry the policy selects"}
	case len(r.Changes) > 0:
		verdict.Failure = &junitProblem{Message: fmt.Sprintf("%d added, %d removed, %d changed", r.Summary.Added, r.Summary.Removed, r.Summary.Changed),
			Type: "changed", Body: fmt.Sprintf("%d entries compared", r.Summary.Entries)}
	default:
		verdict.SystemOut = fmt.Sprintf("%d entries compared, no change", r.Summary.Entries)
	}
	suite.Cases = append(suite.Cases, verdict)
	for _, c := range r.Changes {
		kind := "review"
		if FIMTampering(c) {
			kind = "tampering"
		}
		lines := []string{}
		for _, d := range c.Diffs {
			lines = append(lines, fmt.Sprintf("%s: %s -> %s", d.Attr, orDash(fim.Printable(d.Old)), orDash(fim.Printable(d.New))))
		}
		if c.Unstable {
			lines = append(lines, "changed while hashed")
		}
		suite.Cases = append(suite.Cases, junitCase{ClassName: "fim." + c.Kind, Name: fim.Printable(c.Path),
			Failure: &junitProblem{Message: fimChangeText(c), Type: kind, Body: strings.Join(lines, "\n")}})
	}
	for _, p := range r.Problems {
		suite.Cases = append(suite.Cases, junitCase{ClassName: "fim.problem", Name: fim.Printable(p.Path),
			Error: &junitProblem{Message: fim.Printable(p.Error), Type: "unreadable"}})
	}
	for _, tc := range suite.Cases {
		suite.Tests++
		switch {
		case tc.Failure != nil:
			suite.Failures++
		case tc.Error != nil:
			suite.Errors++
		case tc.Skipped != nil:
			suite.Skipped++
		}
	}
	doc := junitSuites{Name: "cradle", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Skipped: suite.Skipped, Time: suite.Time, Suites: []junitSuite{suite}}
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
