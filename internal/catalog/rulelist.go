package catalog

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/cradle-cra/cradle/internal/cra"
	"github.com/cradle-cra/cradle/internal/engine"
	"github.com/cradle-cra/cradle/internal/rules"
)

// Header of the rule list document (docs/schemas/rule_list.schema.json).
// 1.1 added description, rationale, params, fix and cra; 1.2 selected and
// requires.
const (
	RuleListSchemaVersion = "1.2"
	RuleListKind          = "rule_list"
)

// RuleList is what cradle rules --format json writes: the rules of the
// baseline, or of one profile, in catalogue order; or the rules asked for
// by id (cradle rules ID…), which the table format shows in full.
type RuleList struct {
	SchemaVersion string `json:"schema_version"`
	Kind          string `json:"kind"`
	// Profile is the profile listed; empty for the whole baseline.
	Profile string `json:"profile,omitempty"`
	// Selected lists the rule ids asked for, in the order given; empty
	// for a listing.
	Selected []string   `json:"selected,omitempty"`
	Rules    []RuleInfo `json:"rules"`
}

// RuleInfo is one rule as listed.
type RuleInfo struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Rationale   string   `json:"rationale"`
	Severity    string   `json:"severity"`
	Profiles    []string `json:"profiles"`
	Platforms   []string `json:"platforms,omitempty"`
	// Requires lists what a target must have for the rule to apply
	// (rules.Traits: kernel, init); absent for any target.
	Requires   []string            `json:"requires,omitempty"`
	Template   string              `json:"template"`
	Fixable    bool                `json:"fixable"`
	Params     []ParamInfo         `json:"params,omitempty"`
	Fix        FixInfo             `json:"fix"`
	References map[string][]string `json:"references"`
	// CRA spells out the rule's CRA references (references.cra).
	CRA    []CRAPoint `json:"cra"`
	Source string     `json:"source"`
}

// ParamInfo is a tailorable parameter of a rule.
type ParamInfo struct {
	Name        string `json:"name"`
	Default     any    `json:"default"`
	Description string `json:"description,omitempty"`
	// Profiles holds the values profiles set instead of the default
	// (including what they inherit), by profile id.
	Profiles map[string]any `json:"profiles,omitempty"`
}

// FixInfo says how a failure of the rule is remediated.
type FixInfo struct {
	// Native is true when cradle fix remediates the rule itself; false
	// means a manual fix, described by Notes.
	Native bool `json:"native"`
	// Method is what the native fix of the rule's template does.
	Method     string `json:"method,omitempty"`
	Notes      string `json:"notes,omitempty"`
	Disruption string `json:"disruption,omitempty"`
	Strategy   string `json:"strategy,omitempty"`
	Reboot     bool   `json:"reboot,omitempty"`
}

// CRAPoint is an Annex I point in the Regulation's words (internal/cra).
type CRAPoint struct {
	ID          string `json:"id"`
	Official    string `json:"official"`
	Title       string `json:"title"`
	Requirement string `json:"requirement"`
}

// NewRuleList lists rs (of profile, or "" for all) as eng knows them
// (fixability, profile parameters, required traits); selected names the
// ids asked for, if any.
func NewRuleList(eng *engine.Engine, profile string, selected []string, rs []*rules.Rule) *RuleList {
	l := &RuleList{SchemaVersion: RuleListSchemaVersion, Kind: RuleListKind, Profile: profile, Selected: selected, Rules: []RuleInfo{}}
	for _, r := range rs {
		l.Rules = append(l.Rules, Info(eng, r))
	}
	return l
}

// Info describes one rule of eng.
func Info(eng *engine.Engine, r *rules.Rule) RuleInfo {
	ps := eng.Profiles
	fixable := r.Fixable(eng.Registry)
	ri := RuleInfo{ID: r.ID, Title: r.Title, Description: r.Description, Rationale: r.Rationale,
		Severity: r.Severity.String(), Profiles: r.Profiles, Platforms: r.Platforms, Requires: eng.Requires(r),
		Template: r.Template, Fixable: fixable, References: r.References, CRA: []CRAPoint{}, Source: r.Source,
		Fix: FixInfo{Native: fixable, Notes: r.Fix.Notes, Disruption: r.Fix.Disruption, Strategy: r.Fix.Strategy, Reboot: r.Fix.Reboot}}
	if fixable {
		ri.Fix.Method = FixMethod(r.Template)
	}
	for _, id := range r.References["cra"] {
		p, _ := cra.Lookup(id)
		ri.CRA = append(ri.CRA, CRAPoint{ID: id, Official: p.Official, Title: p.Title, Requirement: p.Requirement})
	}
	names := make([]string, 0, len(r.Params))
	for k := range r.Params {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		p := r.Params[k]
		pi := ParamInfo{Name: k, Default: p.Default, Description: strings.TrimSpace(p.Description)}
		if ps != nil {
			for _, prof := range ps.IDs() {
				if v, ok := ps.ParamValues(prof, r.ID)[k]; ok {
					if pi.Profiles == nil {
						pi.Profiles = map[string]any{}
					}
					pi.Profiles[prof] = v
				}
			}
		}
		ri.Params = append(ri.Params, pi)
	}
	return ri
}

// ParamValue shows a parameter value as its YAML would: strings bare,
// everything else as JSON.
func ParamValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	j, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(j)
}
