package sbom

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"
)

// The sbom_check document (docs/schemas/sbom_check.schema.json).
const (
	CheckKind          = "sbom_check"
	CheckSchemaVersion = "1.0"
)

// Field statuses of a check.
const (
	StatusPresent = "present"
	StatusMissing = "missing"
	// StatusUnavailable: absent, and the SBOM says why the target cannot
	// supply it (cradle:unavailable); not counted against the score.
	StatusUnavailable = "unavailable"
	// StatusNotExpressible: the format has no field for it (the BSI
	// properties in SPDX); not counted.
	StatusNotExpressible = "not_expressible"
)

// The TR-03183-2 v2.1.0 fields checked: the SBOM's (§5.2.1) and each
// component's (§5.2.2, plus §5.2.4's other unique identifiers, which
// must be given where they exist: a checker cannot tell, so one is
// asked for).
var (
	DocFields       = []string{"creator", "timestamp"}
	ComponentFields = []string{FieldCreator, "name", "version", FieldFilename, "dependencies", FieldLicense,
		FieldHash, "identifier", FieldExecutable, "archive", "structured"}
)

// CheckReport is the TR-03183-2 conformance report of one SBOM.
type CheckReport struct {
	SchemaVersion string `json:"schema_version"`
	Kind          string `json:"kind"`
	File          string `json:"file"`
	Format        string `json:"format"`
	SpecVersion   string `json:"spec_version"`
	// Primary is the component the SBOM describes (the product: for
	// cradle's SBOMs the root filesystem or image); it is named, not
	// scored.
	Primary string `json:"primary,omitempty"`
	// FormatOK: TR-03183-2 v2.1.0 accepts CycloneDX 1.6+ and SPDX
	// 3.0.1+; an older format is reported, not scored.
	FormatOK bool `json:"format_ok"`
	// Score is present / (present + missing) over the SBOM's and every
	// component's fields, in percent (one decimal); 100 when nothing is
	// missing. Conformant: nothing missing.
	Score      float64        `json:"score"`
	Conformant bool           `json:"conformant"`
	MinScore   *float64       `json:"min_score,omitempty"`
	Document   []FieldResult  `json:"document"`
	Summary    []FieldSummary `json:"summary"`
	Components int            `json:"components"`
	// Gaps lists the components with a missing or unavailable field.
	Gaps []ComponentGaps `json:"gaps"`
}

// FieldResult is one field's verdict.
type FieldResult struct {
	Field  string `json:"field"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// FieldSummary counts one component field over all components.
type FieldSummary struct {
	Field          string `json:"field"`
	Present        int    `json:"present"`
	Missing        int    `json:"missing"`
	Unavailable    int    `json:"unavailable"`
	NotExpressible int    `json:"not_expressible"`
}

// ComponentGaps are one component's missing and unavailable fields.
type ComponentGaps struct {
	Ref         string        `json:"ref"`
	Name        string        `json:"name"`
	Version     string        `json:"version,omitempty"`
	Missing     []string      `json:"missing,omitempty"`
	Unavailable []FieldResult `json:"unavailable,omitempty"`
}

// Check rates d against TR-03183-2. file names it in the report.
func Check(d *Doc, file string) *CheckReport {
	r := &CheckReport{SchemaVersion: CheckSchemaVersion, Kind: CheckKind, File: file, Format: d.Format,
		SpecVersion: d.SpecVersion, Primary: d.Primary, FormatOK: formatOK(d), Components: len(d.Components),
		Document: []FieldResult{}, Gaps: []ComponentGaps{}}
	present, missing := 0, 0
	count := func(status string) {
		switch status {
		case StatusPresent:
			present++
		case StatusMissing:
			missing++
		}
	}
	doc := map[string]bool{"creator": len(d.Creators) > 0, "timestamp": d.Timestamp != ""}
	for _, f := range DocFields {
		fr := FieldResult{Field: f, Status: StatusPresent}
		if !doc[f] {
			fr.Status = StatusMissing
			if f == "creator" {
				fr.Reason = "no e-mail address or URL of the SBOM's creator (cradle sbom --creator)"
			}
		}
		count(fr.Status)
		r.Document = append(r.Document, fr)
	}
	sums := map[string]*FieldSummary{}
	for _, f := range ComponentFields {
		sums[f] = &FieldSummary{Field: f}
	}
	for _, c := range d.Components {
		g := ComponentGaps{Ref: c.Ref, Name: c.Name, Version: c.Version}
		for _, f := range ComponentFields {
			st, why := componentField(d, c, f)
			count(st)
			s := sums[f]
			switch st {
			case StatusPresent:
				s.Present++
			case StatusMissing:
				s.Missing++
				g.Missing = append(g.Missing, f)
			case StatusUnavailable:
				s.Unavailable++
				g.Unavailable = append(g.Unavailable, FieldResult{Field: f, Status: st, Reason: why})
			case StatusNotExpressible:
				s.NotExpressible++
			}
		}
		if len(g.Missing) > 0 || len(g.Unavailable) > 0 {
			r.Gaps = append(r.Gaps, g)
		}
	}
	for _, f := range ComponentFields {
		r.Summary = append(r.Summary, *sums[f])
	}
	r.Score = 100
	if present+missing > 0 {
		r.Score = math.Floor(1000*float64(present)/float64(present+missing)) / 10
	}
	r.Conformant = missing == 0 && r.FormatOK
	return r
}

func formatOK(d *Doc) bool {
	switch d.Format {
	case "CycloneDX":
		return versionAtLeast(d.SpecVersion, 1, 6, 0)
	case "SPDX":
		return versionAtLeast(d.SpecVersion, 3, 0, 1)
	}
	return false
}

func versionAtLeast(v string, want ...int) bool {
	parts := strings.Split(v, ".")
	for i, w := range want {
		n := 0
		if i < len(parts) {
			fmt.Sscanf(parts[i], "%d", &n)
		}
		if n != w {
			return n > w
		}
	}
	return true
}

// componentField is the status of field f of c, with the producer's
// reason when it says the field is unavailable.
func componentField(d *Doc, c DocComponent, f string) (string, string) {
	var ok bool
	switch f {
	case FieldCreator:
		ok = c.Creator != ""
	case "name":
		ok = c.Name != ""
	case "version":
		ok = c.Version != ""
		// A file component's version may be its modification time;
		// files inside a package carry the package's.
		if !ok && c.Nested {
			ok = true
		}
	case FieldFilename:
		ok = c.Filename != ""
	case "dependencies":
		ok = c.Deps
	case FieldLicense:
		ok = len(c.Licenses) > 0
	case FieldHash:
		ok = c.SHA512 != ""
	case "identifier":
		ok = len(c.Identifiers) > 0
		if !ok && c.Nested {
			ok = c.SHA512 != "" // a file is identified by its hash
		}
	case FieldExecutable, "archive", "structured":
		if c.BSI == nil {
			return StatusNotExpressible, ""
		}
		ok = c.BSI[f] != ""
	}
	if ok {
		return StatusPresent, ""
	}
	if why, has := c.Unavailable[f]; has {
		return StatusUnavailable, why
	}
	// Fields the package inherits are not asked of its files.
	if c.Nested && (f == FieldCreator || f == FieldLicense) {
		return StatusUnavailable, "a file of a component: the component carries it"
	}
	return StatusMissing, ""
}

// JSON writes the report as indented JSON.
func (r *CheckReport) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// maxTableGaps bounds the components the table lists.
const maxTableGaps = 50

// Table writes the report for people.
func (r *CheckReport) Table(w io.Writer) error {
	verdict := "not conformant"
	if r.Conformant {
		verdict = "conformant for the fields the target can supply"
	}
	fmt.Fprintf(w, "%s: %s %s, %d components: TR-03183-2 score %.1f%%, %s\n", r.File, r.Format, r.SpecVersion, r.Components, r.Score, verdict)
	if !r.FormatOK {
		fmt.Fprintf(w, "format: TR-03183-2 v2.1.0 asks for CycloneDX 1.6+ or SPDX 3.0.1+\n")
	}
	if r.MinScore != nil {
		fmt.Fprintf(w, "minimum score: %.1f%%\n", *r.MinScore)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nSBOM FIELD\tSTATUS\tREASON")
	for _, f := range r.Document {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Field, f.Status, f.Reason)
	}
	fmt.Fprintln(tw, "\nCOMPONENT FIELD\tPRESENT\tMISSING\tUNAVAILABLE\tNOT EXPRESSIBLE")
	for _, s := range r.Summary {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", s.Field, s.Present, s.Missing, s.Unavailable, s.NotExpressible)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if groups := groupUnavailable(r.Gaps); len(groups) > 0 {
		fmt.Fprintln(w, "\nunavailable (the target cannot supply them), components × fields: reason:")
		for _, g := range groups {
			fmt.Fprintf(w, "  %5d × %s: %s\n", g.n, g.fields, g.reason)
			if g.example != "" {
				fmt.Fprintf(w, "          e.g. %s\n", g.example)
			}
		}
	}
	n := 0
	for _, g := range r.Gaps {
		if len(g.Missing) == 0 {
			continue
		}
		if n == 0 {
			fmt.Fprintln(w, "\nmissing:")
		}
		if n++; n > maxTableGaps {
			fmt.Fprintf(w, "  … (the JSON report lists every component)\n")
			break
		}
		fmt.Fprintf(w, "  %s: %s\n", strings.TrimSpace(g.Name+" "+g.Version), strings.Join(g.Missing, ", "))
	}
	return nil
}

// unavailableGroup is a line of the table's unavailable section: the
// components whose fields are unavailable for the same reason, the
// specifics in parentheses aside.
type unavailableGroup struct {
	n                              int
	fields, reason, example, first string
}

var parenthesised = regexp.MustCompile(`\([^()]*\)`)

// groupUnavailable groups the unavailable fields by reason: each
// component's fields with one reason form a key with the reason, its
// parenthesised specifics (a path, a package) replaced by "(…)", so a
// reason repeated for many components is one line. A group that merged
// different specifics shows its first component's as an example. Largest
// groups first.
func groupUnavailable(gaps []ComponentGaps) []unavailableGroup {
	byKey := map[string]*unavailableGroup{}
	for _, g := range gaps {
		fields := map[string][]string{}
		var order []string
		for _, u := range g.Unavailable {
			if fields[u.Reason] == nil {
				order = append(order, u.Reason)
			}
			fields[u.Reason] = append(fields[u.Reason], u.Field)
		}
		for _, why := range order {
			fs := fields[why]
			sort.Strings(fs)
			shape := parenthesised.ReplaceAllString(why, "(…)")
			k := strings.Join(fs, ", ") + "\x00" + shape
			ug := byKey[k]
			if ug == nil {
				ug = &unavailableGroup{fields: strings.Join(fs, ", "), reason: why, first: strings.TrimSpace(g.Name + " " + g.Version)}
				byKey[k] = ug
			} else if ug.reason != shape && ug.reason != why {
				ug.example = ug.first + ": " + ug.reason
				ug.reason = shape
			}
			ug.n++
		}
	}
	out := make([]unavailableGroup, 0, len(byKey))
	for _, g := range byKey {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].n != out[j].n {
			return out[i].n > out[j].n
		}
		if out[i].fields != out[j].fields {
			return out[i].fields < out[j].fields
		}
		return out[i].reason < out[j].reason
	})
	return out
}

// Below reports whether the score is under the minimum asked for.
func (r *CheckReport) Below() bool { return r.MinScore != nil && r.Score < *r.MinScore }
