package vuln

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cradle-cra/cradle/internal/vex"
)

// The vuln_report document.
const (
	ReportKind          = "vuln_report"
	ReportSchemaVersion = "1.0"
)

// FailOnExploited is the --fail-on value that fails only on findings in
// the KEV catalogue.
const FailOnExploited = "known-exploited"

// DefaultUnknownAs is the severity a finding without one counts as unless
// --unknown-as says otherwise. An unrated record is a published,
// triaged vulnerability whose severity nobody computed (the Go database
// rates none), not a harmless one: it fails the usual gates (high and
// below) but is not claimed to be critical, so --fail-on critical keeps
// meaning "demonstrably critical". The report counts the findings this
// rule decided.
const DefaultUnknownAs = SeverityHigh

// Report is the result of a scan.
type Report struct {
	SchemaVersion string    `json:"schema_version"`
	Kind          string    `json:"kind"`
	Target        string    `json:"target"`
	Time          time.Time `json:"time"`
	Database      Database  `json:"database"`
	Components    int       `json:"components"`
	Findings      []Finding `json:"findings"`
	// Gaps are components (or records) that could not be checked.
	Gaps    []Gap   `json:"gaps"`
	Gate    Gate    `json:"gate"`
	Summary Summary `json:"summary"`
}

// Database says which database the scan used and how old it was.
type Database struct {
	Path       string    `json:"path"`
	Schema     string    `json:"schema"`
	Updated    time.Time `json:"updated"`
	AgeSeconds int64     `json:"age_seconds"`
	Vulns      int       `json:"vulns"`
	KEV        int       `json:"kev"`
	EPSS       int       `json:"epss"`
	Sources    []string  `json:"sources"`
}

// Gate is the release decision.
type Gate struct {
	// FailOn is the threshold: a severity or "known-exploited"; "" means
	// report only.
	FailOn string `json:"fail_on"`
	// UnknownAs is the severity a finding without one counts as.
	UnknownAs string `json:"unknown_as"`
	Failed    bool   `json:"failed"`
	// Failing lists the ids of the findings that failed it.
	Failing []string `json:"failing"`
	// Unrated counts the unsuppressed findings without severity, which
	// the gate judged as UnknownAs; UnratedFailing those of them that
	// failed it.
	Unrated        int `json:"unrated"`
	UnratedFailing int `json:"unrated_failing"`
}

// Explain says in one sentence what the gate decided and how findings
// without severity were counted.
func (g Gate) Explain() string {
	if g.FailOn == "" {
		return "No gate (--fail-on not set)."
	}
	s := fmt.Sprintf("Gate --fail-on %s: ", g.FailOn)
	if g.Failed {
		s += fmt.Sprintf("FAILED by %d finding(s)", len(g.Failing))
	} else {
		s += "passed"
	}
	switch {
	case g.Unrated == 0 || g.FailOn == FailOnExploited:
	case g.UnratedFailing > 0:
		s += fmt.Sprintf("; %d of them without severity, counted as %s (--unknown-as)", g.UnratedFailing, g.UnknownAs)
	default:
		s += fmt.Sprintf("; %d finding(s) without severity counted as %s (--unknown-as), below the threshold", g.Unrated, g.UnknownAs)
	}
	return s + "."
}

// Summary counts the findings.
type Summary struct {
	Findings   int            `json:"findings"`
	Suppressed int            `json:"suppressed"`
	Exploited  int            `json:"exploited"`
	BySeverity map[string]int `json:"by_severity"`
}

// CheckGate validates a --fail-on and --unknown-as pair.
func CheckGate(failOn, unknownAs string) error {
	if failOn != "" && failOn != FailOnExploited && Rank(failOn) < 0 {
		return fmt.Errorf("--fail-on %q: want one of %s, %s", failOn, strings.Join(Severities, ", "), FailOnExploited)
	}
	if Rank(unknownAs) < 0 {
		return fmt.Errorf("--unknown-as %q: want one of %s", unknownAs, strings.Join(Severities, ", "))
	}
	return nil
}

// ApplyVEX attaches the first statement that names a finding's id or an
// alias and its package (by purl, ignoring qualifiers) or no product.
func ApplyVEX(fs []Finding, stmts []vex.Statement) {
	for i := range fs {
		f := &fs[i]
		ids := append([]string{f.ID}, f.Aliases...)
		for _, s := range stmts {
			if !slices.Contains(ids, s.Vulnerability) && !slices.ContainsFunc(s.Aliases, func(a string) bool { return slices.Contains(ids, a) }) {
				continue
			}
			if !productMatches(s.Products, f.Package.PURL) {
				continue
			}
			f.VEX = &VEX{Status: s.Status, Justification: s.Justification, Impact: s.Impact, Statement: s.Vulnerability,
				Source: s.Source, Suppressed: s.Suppresses()}
			break
		}
	}
}

// productMatches: a product purl without version covers every version.
func productMatches(products []string, purl string) bool {
	if len(products) == 0 {
		return true
	}
	if purl == "" {
		return false
	}
	want := PURLKey(purl)
	base, _, _ := strings.Cut(want, "@")
	for _, p := range products {
		k := PURLKey(p)
		if k == want || k == base {
			return true
		}
	}
	return false
}

// Decide fills the report's gate and summary: a finding fails the gate
// unless a VEX statement suppressed it, when it is known-exploited
// (always, whatever the threshold) or its severity — unknown counting as
// UnknownAs — is at or above FailOn.
func (r *Report) Decide() {
	r.Summary = Summary{BySeverity: map[string]int{}}
	r.Gate.Failing = []string{}
	r.Gate.Unrated, r.Gate.UnratedFailing = 0, 0
	for _, f := range r.Findings {
		r.Summary.Findings++
		if f.VEX != nil && f.VEX.Suppressed {
			r.Summary.Suppressed++
			continue
		}
		r.Summary.BySeverity[f.Severity]++
		if f.Exploited {
			r.Summary.Exploited++
		}
		unrated := f.Severity == SeverityUnknown
		if unrated {
			r.Gate.Unrated++
		}
		if r.fails(f) {
			r.Gate.Failing = append(r.Gate.Failing, f.ID)
			if unrated && !f.Exploited {
				r.Gate.UnratedFailing++
			}
		}
	}
	r.Gate.Failed = len(r.Gate.Failing) > 0
}

func (r *Report) fails(f Finding) bool {
	switch r.Gate.FailOn {
	case "":
		return false
	case FailOnExploited:
		return f.Exploited
	}
	if f.Exploited {
		return true
	}
	sev := f.Severity
	if sev == SeverityUnknown {
		sev = r.Gate.UnknownAs
	}
	return Rank(r.Gate.FailOn) == 0 || Rank(sev) >= Rank(r.Gate.FailOn)
}
