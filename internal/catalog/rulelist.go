package catalog

import (
	"github.com/cradle-cra/cradle/internal/check"
	"github.com/cradle-cra/cradle/internal/rules"
)

// Header of the rule list document (docs/schemas/rule_list.schema.json).
const (
	RuleListSchemaVersion = "1.0"
	RuleListKind          = "rule_list"
)

// RuleList is what cradle rules --format json writes: the rules of the
// baseline, or of one profile, in catalogue order.
type RuleList struct {
	SchemaVersion string `json:"schema_version"`
	Kind          string `json:"kind"`
	// Profile is the profile listed; empty for the whole baseline.
	Profile string     `json:"profile,omitempty"`
	Rules   []RuleInfo `json:"rules"`
}

// RuleInfo is one rule as listed.
type RuleInfo struct {
	ID         string              `json:"id"`
	Title      string              `json:"title"`
	Severity   string              `json:"severity"`
	Profiles   []string            `json:"profiles"`
	Platforms  []string            `json:"platforms,omitempty"`
	Template   string              `json:"template"`
	Fixable    bool                `json:"fixable"`
	References map[string][]string `json:"references"`
	Source     string              `json:"source"`
}

// NewRuleList lists rs (of profile, or "" for all) with their fixability
// under reg.
func NewRuleList(reg *check.Registry, profile string, rs []*rules.Rule) *RuleList {
	l := &RuleList{SchemaVersion: RuleListSchemaVersion, Kind: RuleListKind, Profile: profile, Rules: []RuleInfo{}}
	for _, r := range rs {
		l.Rules = append(l.Rules, RuleInfo{ID: r.ID, Title: r.Title, Severity: r.Severity.String(), Profiles: r.Profiles,
			Platforms: r.Platforms, Template: r.Template, Fixable: r.Fixable(reg), References: r.References, Source: r.Source})
	}
	return l
}
