package psirt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/casestore"
	"github.com/cradle-cra/cradle/internal/vuln"
)

// Bounds of an imported vulnerability report: it comes from a file a
// person names, possibly from elsewhere.
const (
	MaxReportSize = 64 << 20
	MaxFindings   = 100_000
	maxField      = 64 << 10 // one string (summary, id, version)
)

// Finding groups the findings of one vulnerability across the product's
// components: one case each.
type Finding struct {
	ID        string
	Aliases   []string
	Summary   string
	CVSS      *vuln.CVSS
	Exploited bool
	KEVAdded  string
	Fixes     []casestore.ComponentFix
	// Suppressed: every finding of the group carried a VEX statement that
	// suppresses it (not_affected or fixed).
	Suppressed bool
	VEXStatus  string
}

// ParseReport reads the JSON of cradle vuln scan (kind vuln_report) and
// groups its findings by vulnerability id, in the report's order.
func ParseReport(r io.Reader) ([]Finding, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxReportSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxReportSize {
		return nil, fmt.Errorf("larger than %d MiB", MaxReportSize>>20)
	}
	var head struct {
		Kind          string          `json:"kind"`
		SchemaVersion string          `json:"schema_version"`
		Findings      json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if head.Kind != vuln.ReportKind {
		return nil, fmt.Errorf("kind %q: want %s (cradle vuln scan --format json)", head.Kind, vuln.ReportKind)
	}
	if major, _, _ := strings.Cut(head.SchemaVersion, "."); major != "1" {
		return nil, fmt.Errorf("schema_version %q: this cradle reads 1.x", head.SchemaVersion)
	}
	var fs []vuln.Finding
	dec := json.NewDecoder(bytes.NewReader(head.Findings))
	if len(head.Findings) > 0 {
		if err := dec.Decode(&fs); err != nil {
			return nil, fmt.Errorf("findings: %w", err)
		}
	}
	if len(fs) > MaxFindings {
		return nil, fmt.Errorf("%d findings: more than %d", len(fs), MaxFindings)
	}
	var out []Finding
	index := map[string]int{}
	for i, f := range fs {
		if err := checkFinding(f); err != nil {
			return nil, fmt.Errorf("findings[%d]: %w", i, err)
		}
		n, ok := index[f.ID]
		if !ok {
			n = len(out)
			index[f.ID] = n
			out = append(out, Finding{ID: f.ID, Suppressed: true})
		}
		g := &out[n]
		for _, a := range f.Aliases {
			if !slices.Contains(g.Aliases, a) {
				g.Aliases = append(g.Aliases, a)
			}
		}
		if g.Summary == "" {
			g.Summary = f.Summary
		}
		if f.CVSS != nil && strings.HasPrefix(f.CVSS.Vector, "CVSS:") && (g.CVSS == nil || f.CVSS.Score > g.CVSS.Score) {
			g.CVSS = f.CVSS
		}
		if f.Exploited {
			g.Exploited = true
			if f.KEV != nil {
				g.KEVAdded = f.KEV.DateAdded
			}
		}
		if f.VEX == nil || !f.VEX.Suppressed {
			g.Suppressed = false
		} else if g.VEXStatus == "" {
			g.VEXStatus = f.VEX.Status
		}
		comp := f.Package.PURL
		if comp == "" {
			comp = f.Package.Ecosystem + ":" + f.Package.Name + "@" + f.Package.Version
		}
		if !slices.ContainsFunc(g.Fixes, func(c casestore.ComponentFix) bool { return c.Component == comp }) {
			fixed := append([]string{}, f.FixedVersions...)
			g.Fixes = append(g.Fixes, casestore.ComponentFix{Component: comp, Name: f.Package.Name, Fixed: fixed})
		}
	}
	for i := range out {
		slices.Sort(out[i].Aliases)
	}
	return out, nil
}

func checkFinding(f vuln.Finding) error {
	if strings.TrimSpace(f.ID) == "" {
		return errors.New("no id")
	}
	long := len(f.ID) > 256 || len(f.Summary) > maxField || len(f.Package.PURL) > maxField || len(f.Package.Name) > maxField ||
		len(f.Package.Version) > maxField || len(f.Aliases) > 1000 || len(f.FixedVersions) > 1000
	if long {
		return fmt.Errorf("%.64s: a field is too long", f.ID)
	}
	if f.CVSS != nil && f.CVSS.Vector != "" {
		if _, _, err := vuln.ScoreVector(f.CVSS.Vector); err != nil {
			return fmt.Errorf("%s: %w", f.ID, err)
		}
	}
	return nil
}

// Key is the import key of a vulnerability in a product.
func Key(id, product string) string { return id + "@" + product }

// Apply sets the fields of c that come from the finding: title, aliases,
// components and their fixes, the CVSS vector and, when the finding is in
// the KEV catalogue, the exploited mark. It never clears what a person
// recorded (a case marked exploited stays so).
func (f Finding) Apply(c *casestore.Case) {
	if c.Title == "" {
		c.Title = f.ID
		if f.Summary != "" {
			c.Title = f.ID + ": " + f.Summary
		}
	}
	if c.Description == "" {
		c.Description = f.Summary
	}
	aliases := append([]string{f.ID}, f.Aliases...)
	for _, a := range aliases {
		if !slices.Contains(c.Aliases, a) {
			c.Aliases = append(c.Aliases, a)
		}
	}
	for _, fx := range f.Fixes {
		if !slices.Contains(c.Components, fx.Component) {
			c.Components = append(c.Components, fx.Component)
		}
		i := slices.IndexFunc(c.Fixes, func(x casestore.ComponentFix) bool { return x.Component == fx.Component })
		if i < 0 {
			c.Fixes = append(c.Fixes, fx)
		} else {
			c.Fixes[i] = fx
		}
	}
	if f.CVSS != nil {
		switch {
		case strings.HasPrefix(f.CVSS.Vector, "CVSS:4.0/"):
			c.CVSS4 = f.CVSS.Vector
		case strings.HasPrefix(f.CVSS.Vector, "CVSS:3."):
			c.CVSS3 = f.CVSS.Vector
		}
	}
	if f.Exploited {
		c.Exploited = true
	}
}
