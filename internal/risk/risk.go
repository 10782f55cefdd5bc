// Package risk is the product's cybersecurity risk assessment (Art. 13(2)
// to (4), Annex VII point 3): the assets worth protecting, the threats to
// them rated on fixed likelihood and impact scales before and after the
// controls, and for every essential requirement of Annex I (Part I points
// (1) and (2)(a)–(m), Part II points (1)–(8)) whether it applies — with a
// justification when it does not (Art. 13(4)) — and which controls, rules
// and evidence files meet it.
//
// The assessment is a YAML file kept next to the product file (the product
// file names it under risk_assessment) and read strictly like it: unknown
// keys, unknown ids and missing points are errors with file:line.
package risk

import (
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/cra"
	"github.com/cradle-cra/cradle/internal/rules"
)

// SchemaVersion is the risk file format this build reads.
const SchemaVersion = 1

// DefaultFile is the risk file's conventional name.
const DefaultFile = "risk.yaml"

// File is a parsed risk assessment.
type File struct {
	SchemaVersion int           `yaml:"schema_version" json:"schema_version"`
	Scope         string        `yaml:"scope" json:"scope,omitempty"`
	Reviewed      string        `yaml:"reviewed" json:"reviewed,omitempty"` // date of the last review
	Assets        []Asset       `yaml:"assets" json:"assets"`
	Threats       []Threat      `yaml:"threats" json:"threats"`
	Controls      []Control     `yaml:"controls" json:"controls"`
	Requirements  []Requirement `yaml:"requirements" json:"requirements"`
}

// Asset is something the product must protect (data, function, service).
type Asset struct {
	ID          string `yaml:"id" json:"id"`
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description" json:"description,omitempty"`
}

// Rating is a likelihood and an impact on the scales below.
type Rating struct {
	Likelihood string `yaml:"likelihood" json:"likelihood"`
	Impact     string `yaml:"impact" json:"impact"`
}

// Threat is one way an asset could be harmed, rated before (Inherent) and
// after (Residual) its controls.
type Threat struct {
	ID          string   `yaml:"id" json:"id"`
	Title       string   `yaml:"title" json:"title"`
	Description string   `yaml:"description" json:"description,omitempty"`
	Assets      []string `yaml:"assets" json:"assets"`
	Inherent    Rating   `yaml:"inherent" json:"inherent"`
	Controls    []string `yaml:"controls" json:"controls,omitempty"`
	Residual    Rating   `yaml:"residual" json:"residual"`
	// Acceptance says who accepted a residual risk of level high or
	// critical, and why.
	Acceptance string `yaml:"acceptance" json:"acceptance,omitempty"`
}

// Control is a measure that reduces a risk or meets a requirement.
type Control struct {
	ID          string `yaml:"id" json:"id"`
	Title       string `yaml:"title" json:"title"`
	Description string `yaml:"description" json:"description,omitempty"`
	// Rules are cradle scan rule ids whose results show the control works.
	Rules []string `yaml:"rules" json:"rules,omitempty"`
	// Evidence are files (relative to the risk file) that show it: test
	// reports, reviews, policies. They are copied into the evidence pack.
	Evidence []string `yaml:"evidence" json:"evidence,omitempty"`
}

// Requirement is the assessment of one Annex I point.
type Requirement struct {
	ID            string   `yaml:"id" json:"id"`
	Applicable    *bool    `yaml:"applicable" json:"applicable"`
	Justification string   `yaml:"justification" json:"justification,omitempty"`
	Controls      []string `yaml:"controls" json:"controls,omitempty"`
	Rules         []string `yaml:"rules" json:"rules,omitempty"`
	Notes         string   `yaml:"notes" json:"notes,omitempty"`
}

// IsApplicable reports whether the point applies (it must have been
// answered: Parse refuses a missing answer).
func (r Requirement) IsApplicable() bool { return r.Applicable == nil || *r.Applicable }

// The scales, lowest first; a level's score is its position (1–5).
var (
	Likelihoods = []string{"rare", "unlikely", "possible", "likely", "almost_certain"}
	Impacts     = []string{"negligible", "minor", "moderate", "major", "severe"}
)

// Score is likelihood × impact (1–25); 0 for a rating not on the scales.
func (r Rating) Score() int {
	l := slices.Index(Likelihoods, r.Likelihood) + 1
	i := slices.Index(Impacts, r.Impact) + 1
	if l == 0 || i == 0 {
		return 0
	}
	return l * i
}

// Level names a score: low (1–4), medium (5–9), high (10–16), critical
// (17–25).
func Level(score int) string {
	switch {
	case score <= 0:
		return "unrated"
	case score <= 4:
		return "low"
	case score <= 9:
		return "medium"
	case score <= 16:
		return "high"
	}
	return "critical"
}

// Requirement returns the assessment of the Annex I point id.
func (f *File) Requirement(id string) (Requirement, bool) {
	for _, r := range f.Requirements {
		if r.ID == id {
			return r, true
		}
	}
	return Requirement{}, false
}

// Control returns the control with the given id.
func (f *File) Control(id string) (Control, bool) {
	for _, c := range f.Controls {
		if c.ID == id {
			return c, true
		}
	}
	return Control{}, false
}

// Warning is a gap that does not stop a command.
type Warning = rules.Warning

// Parse reads a risk file strictly; errors carry file:line.
func Parse(name string, data []byte) (*File, []Warning, error) {
	var f File
	warns, err := rules.DecodeStrict(name, data, &f, func(rv *rules.Validator) { (&validator{rv}).check(&f) })
	if err != nil {
		return nil, nil, err
	}
	return &f, warns, nil
}

// validator adds this file's value checks to the shared one.
type validator struct{ *rules.Validator }

var at = rules.At

// ids checks that every entry has a unique, non-empty id.
func (v *validator) ids(section string, ids []string) map[string]bool {
	seen := map[string]bool{}
	for i, id := range ids {
		switch {
		case strings.TrimSpace(id) == "":
			v.Errorf(at(section, i), "%s[%d].id is required", section, i)
		case seen[id]:
			v.Errorf(at(section, i, "id"), "%s id %q used twice", section, id)
		}
		seen[id] = true
	}
	return seen
}

func (v *validator) refs(path []any, what string, refs []string, known map[string]bool) {
	for _, r := range refs {
		if !known[r] {
			v.Errorf(path, "unknown %s %q", what, r)
		}
	}
}

func (v *validator) rating(path []any, r Rating) {
	if !slices.Contains(Likelihoods, r.Likelihood) {
		v.Errorf(append(path, "likelihood"), "likelihood %q: want one of %s", r.Likelihood, strings.Join(Likelihoods, ", "))
	}
	if !slices.Contains(Impacts, r.Impact) {
		v.Errorf(append(path, "impact"), "impact %q: want one of %s", r.Impact, strings.Join(Impacts, ", "))
	}
}

func (v *validator) check(f *File) {
	if f.SchemaVersion != SchemaVersion {
		v.Errorf(at("schema_version"), "schema_version %d: this cradle reads version %d", f.SchemaVersion, SchemaVersion)
	}
	assets := v.ids("assets", mapIDs(f.Assets, func(a Asset) string { return a.ID }))
	controls := v.ids("controls", mapIDs(f.Controls, func(c Control) string { return c.ID }))
	v.ids("threats", mapIDs(f.Threats, func(t Threat) string { return t.ID }))
	if len(f.Assets) == 0 {
		v.Warnf(at("assets"), "no assets: name what the product must protect (Art. 13(2))")
	}
	for i, t := range f.Threats {
		p := at("threats", i)
		if strings.TrimSpace(t.Title) == "" {
			v.Errorf(p, "threats[%d].title is required", i)
		}
		if len(t.Assets) == 0 {
			v.Errorf(at("threats", i, "assets"), "threat %s names no asset", t.ID)
		}
		v.refs(at("threats", i, "assets"), "asset", t.Assets, assets)
		v.refs(at("threats", i, "controls"), "control", t.Controls, controls)
		v.rating(at("threats", i, "inherent"), t.Inherent)
		v.rating(at("threats", i, "residual"), t.Residual)
		res, inh := t.Residual.Score(), t.Inherent.Score()
		if res > 0 && inh > 0 && res > inh {
			v.Warnf(at("threats", i, "residual"), "threat %s: residual risk %d is above the inherent risk %d", t.ID, res, inh)
		}
		if lvl := Level(res); (lvl == "high" || lvl == "critical") && strings.TrimSpace(t.Acceptance) == "" {
			v.Warnf(at("threats", i, "residual"), "threat %s: residual risk is %s; record who accepted it and why (acceptance)", t.ID, lvl)
		}
	}
	for i, c := range f.Controls {
		if strings.TrimSpace(c.Title) == "" {
			v.Errorf(at("controls", i), "controls[%d].title is required", i)
		}
		for j, e := range c.Evidence {
			if !localPath(e) {
				v.Errorf(at("controls", i, "evidence", j), "evidence %q: want a relative path inside the product repository", e)
			}
		}
	}
	v.requirements(f, controls)
}

func (v *validator) requirements(f *File, controls map[string]bool) {
	seen := map[string]bool{}
	for i, r := range f.Requirements {
		p := at("requirements", i)
		if err := cra.Validate(r.ID); err != nil {
			v.Errorf(at("requirements", i, "id"), "%v", err)
			continue
		}
		if seen[r.ID] {
			v.Errorf(at("requirements", i, "id"), "requirement %s assessed twice", r.ID)
		}
		seen[r.ID] = true
		switch {
		case r.Applicable == nil:
			v.Errorf(p, "%s: applicable is required (true or false)", r.ID)
		case !*r.Applicable && strings.TrimSpace(r.Justification) == "":
			v.Errorf(at("requirements", i, "applicable"), "%s is not applicable: a justification is required (Art. 13(4))", r.ID)
		case *r.Applicable && len(r.Controls) == 0 && len(r.Rules) == 0:
			v.Warnf(p, "%s applies but names no control or rule", r.ID)
		}
		v.refs(at("requirements", i, "controls"), "control", r.Controls, controls)
	}
	var missing []string
	for _, pt := range cra.AnnexI() {
		if !seen[pt.ID] {
			missing = append(missing, pt.ID)
		}
	}
	if len(missing) > 0 {
		v.Errorf(at("requirements"), "every Annex I point must be assessed; missing: %s", strings.Join(missing, ", "))
	}
}

// localPath accepts a clean relative path that stays below its base.
func localPath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || strings.Contains(p, ":") {
		return false
	}
	for _, e := range strings.Split(p, "/") {
		if e == ".." || e == "" {
			return false
		}
	}
	return true
}

func mapIDs[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}
