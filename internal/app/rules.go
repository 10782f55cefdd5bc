package app

import (
	"io"
)

// RuleInfo describes one rule of the baseline; its JSON form is the
// output of "cradle rules --format json".
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

// Rules lists the rules of the baseline, or of one profile.
func (a *App) Rules(profile string) ([]RuleInfo, error) {
	eng, err := a.Catalog()
	if err != nil {
		return nil, err
	}
	list := eng.Rules.Rules
	if profile != "" {
		if list, err = eng.Profiles.Select(eng.Rules, profile); err != nil {
			return nil, Input(err)
		}
	}
	var infos []RuleInfo
	for _, r := range list {
		infos = append(infos, RuleInfo{ID: r.ID, Title: r.Title, Severity: r.Severity.String(), Profiles: r.Profiles,
			Platforms: r.Platforms, Template: r.Template, Fixable: r.Fixable(eng.Registry), References: r.References, Source: r.Source})
	}
	return infos, nil
}

// RulesMarkdown writes the reference of the whole baseline (docs/rules.md).
func (a *App) RulesMarkdown(w io.Writer) error {
	eng, err := a.Catalog()
	if err != nil {
		return err
	}
	return writeRulesMarkdown(w, eng)
}
