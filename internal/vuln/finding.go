package vuln

import (
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/vuln/version"
)

// Package is the component a finding is about.
type Package struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Ecosystem string `json:"ecosystem"`
	PURL      string `json:"purl,omitempty"`
}

// Finding is one vulnerability of one package.
type Finding struct {
	// ID is the OSV id of the record the finding is named after (the
	// merged record from the ecosystem's own database, else GHSA, else
	// CVE); Aliases are every other id.
	ID      string   `json:"id"`
	Aliases []string `json:"aliases"`
	Summary string   `json:"summary,omitempty"`
	Package Package  `json:"package"`
	// FixedVersions are the versions newer than Package.Version that fix
	// it, oldest first; empty when no fix is known.
	FixedVersions []string `json:"fixed_versions"`
	Severity      string   `json:"severity"`
	CVSS          *CVSS    `json:"cvss,omitempty"`
	// Exploited: an id or alias is in CISA's KEV catalogue.
	Exploited bool     `json:"exploited"`
	KEV       *KEVInfo `json:"kev,omitempty"`
	EPSS      *EPSS    `json:"epss,omitempty"`
	// VEX is the statement that applied, if any; a not_affected or fixed
	// one suppresses the finding from the gate.
	VEX *VEX `json:"vex,omitempty"`
}

// KEVInfo is the finding's KEV entry.
type KEVInfo struct {
	CVE        string `json:"cve"`
	DateAdded  string `json:"date_added,omitempty"`
	Ransomware string `json:"ransomware,omitempty"`
}

// EPSS is the highest exploit prediction score of the finding's CVEs.
type EPSS struct {
	CVE        string  `json:"cve"`
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile"`
}

// VEX is the statement applied to a finding.
type VEX struct {
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
	Impact        string `json:"impact,omitempty"`
	Statement     string `json:"statement"` // the vulnerability id it named
	Source        string `json:"source"`
	Suppressed    bool   `json:"suppressed"`
}

// Gap is a component that could not be checked, or a record that could
// not be evaluated for it.
type Gap struct {
	Package Package `json:"package"`
	Reason  string  `json:"reason"`
}

func pkgOf(c Component) Package {
	return Package{Name: c.Name, Version: c.Version, Ecosystem: c.Ecosystem, PURL: c.PURL}
}

// idRank chooses a finding's name: the ecosystem's or distribution's
// own database (GO-, PYSEC-, RUSTSEC-, DSA-, …) first, then GitHub's
// GHSA, then a plain CVE record.
func idRank(id string) int {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return 2
	case strings.HasPrefix(id, "GHSA-"):
		return 1
	}
	return 0
}

func finding(src Source, c Component, group []hit) (Finding, error) {
	slices.SortFunc(group, func(a, b hit) int {
		if d := idRank(a.rec.ID) - idRank(b.rec.ID); d != 0 {
			return d
		}
		return strings.Compare(a.rec.ID, b.rec.ID)
	})
	f := Finding{ID: group[0].rec.ID, Summary: group[0].rec.Summary, Package: pkgOf(c), Severity: SeverityUnknown,
		Aliases: []string{}, FixedVersions: []string{}}
	for _, h := range group {
		for _, id := range h.rec.IDs() {
			if id != f.ID && !slices.Contains(f.Aliases, id) {
				f.Aliases = append(f.Aliases, id)
			}
		}
		f.FixedVersions = append(f.FixedVersions, h.fixed...)
		sev, cv := rate(h.rec)
		if r, r0 := Rank(sev), Rank(f.Severity); r > r0 || r == r0 && cv != nil && (f.CVSS == nil || cv.Score > f.CVSS.Score) {
			f.Severity, f.CVSS = sev, cv
		}
		if f.Summary == "" {
			f.Summary = h.rec.Summary
		}
	}
	slices.Sort(f.Aliases)
	slices.SortFunc(f.FixedVersions, func(a, b string) int {
		n, _ := version.Compare(c.Ecosystem, a, b)
		return n
	})
	f.FixedVersions = slices.Compact(f.FixedVersions)
	for _, id := range append([]string{f.ID}, f.Aliases...) {
		if !strings.HasPrefix(id, "CVE-") {
			continue
		}
		k, err := src.KEV(id)
		if err != nil {
			return f, err
		}
		if k != nil && f.KEV == nil {
			f.Exploited, f.KEV = true, &KEVInfo{CVE: id, DateAdded: k.DateAdded, Ransomware: k.Ransomware}
		}
		e, err := src.EPSS(id)
		if err != nil {
			return f, err
		}
		if e != nil && (f.EPSS == nil || e.Score > f.EPSS.Score) {
			f.EPSS = &EPSS{CVE: id, Score: e.Score, Percentile: e.Percentile}
		}
	}
	return f, nil
}
