package vuln

import (
	"strings"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/cradle-cra/cradle/internal/vuln/osv"
)

// Severity levels, lowest first. Unknown is a record that states none
// (the whole Go database): the gate treats it as --unknown-as says.
const (
	SeverityUnknown  = "unknown"
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

// Severities in gate order.
var Severities = []string{SeverityUnknown, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Rank orders severities (unknown 0 … critical 4); -1 for other words.
func Rank(s string) int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return -1
}

// CVSS is the score behind a severity.
type CVSS struct {
	Version string  `json:"version"` // "3.0", "3.1", "4.0"
	Vector  string  `json:"vector"`
	Score   float64 `json:"score"`
}

// rate computes a record's severity: the highest CVSS v4.0 or v3.x base
// score of its vectors (computed by github.com/pandatix/go-cvss, which
// implements FIRST's specifications), else the database's own word
// (GitHub's database_specific.severity: LOW, MODERATE, HIGH, CRITICAL;
// an "Ubuntu" priority), else unknown. Vectors that do
// not parse are ignored. CVSS v2 vectors are not rated: v2 has no
// "critical" and its ranges differ.
func rate(r *osv.Record) (string, *CVSS) {
	var best *CVSS
	sevs := append([]osv.Severity{}, r.Severity...)
	for _, a := range r.Affected {
		sevs = append(sevs, a.Severity...)
	}
	for _, s := range sevs {
		c := score(s)
		if c != nil && (best == nil || c.Score > best.Score) {
			best = c
		}
	}
	if best != nil {
		return level(best.Score), best
	}
	words := []string{}
	if r.DatabaseSpecific != nil {
		words = append(words, r.DatabaseSpecific.Severity)
	}
	for _, s := range sevs {
		if s.Type == "Ubuntu" { // Ubuntu's priority: negligible, low, medium, high, critical
			words = append(words, s.Score)
		}
	}
	sev := SeverityUnknown
	for _, w := range words {
		if l := word(w); Rank(l) > Rank(sev) {
			sev = l
		}
	}
	return sev, nil
}

// word maps a database's textual severity to a level: GitHub's LOW,
// MODERATE, HIGH, CRITICAL; Red Hat's IMPORTANT; Ubuntu's priorities
// (negligible counts as low).
func word(w string) string {
	switch strings.ToUpper(strings.TrimSpace(w)) {
	case "NEGLIGIBLE", "LOW":
		return SeverityLow
	case "MODERATE", "MEDIUM":
		return SeverityMedium
	case "HIGH", "IMPORTANT":
		return SeverityHigh
	case "CRITICAL":
		return SeverityCritical
	}
	return SeverityUnknown
}

func score(s osv.Severity) *CVSS {
	v := strings.TrimSpace(s.Score)
	switch {
	case s.Type == "CVSS_V4" || strings.HasPrefix(v, "CVSS:4.0/"):
		c, err := gocvss40.ParseVector(v)
		if err != nil {
			return nil
		}
		return &CVSS{Version: "4.0", Vector: v, Score: c.Score()}
	case strings.HasPrefix(v, "CVSS:3.1/"):
		c, err := gocvss31.ParseVector(v)
		if err != nil {
			return nil
		}
		return &CVSS{Version: "3.1", Vector: v, Score: c.BaseScore()}
	case strings.HasPrefix(v, "CVSS:3.0/"):
		c, err := gocvss30.ParseVector(v)
		if err != nil {
			return nil
		}
		return &CVSS{Version: "3.0", Vector: v, Score: c.BaseScore()}
	}
	return nil
}

// level is the qualitative rating of a CVSS v3/v4 score.
func level(score float64) string {
	switch {
	case score >= 9:
		return SeverityCritical
	case score >= 7:
		return SeverityHigh
	case score >= 4:
		return SeverityMedium
	case score > 0:
		return SeverityLow
	}
	return SeverityLow // 0.0 is CVSS "none": rated, and below every threshold but low
}
